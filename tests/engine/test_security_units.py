"""The security pieces without a network: SCRAM, PLAIN, JAAS, the SASL state machine, ACL matching, the authorizer,
TLS configuration, the security store, and the gate table that must cover every API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
from pathlib import Path
from typing import Any

import pytest

from engine.api.routes import ROUTES
from engine.config import ConfigError, load_broker_config
from engine.security import gates
from engine.security.acl import AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType
from engine.security.authorizer import Authorizer
from engine.security.broker_security import BrokerSecurity
from engine.security.channel import AuthenticationClosed, Channel
from engine.security.jaas import parse_jaas, plain_users
from engine.security.sasl import PlainServer, listener_sasl
from engine.security.sasl_errors import SaslFailure
from engine.security.scram import MECHANISMS, ScramCredential, ScramServer, credential_from_password
from engine.security.store import SecurityStore
from engine.security.tls import PrincipalMapper, server_context
from tests.components.pki import KEY_PASSWORD, STORE_PASSWORD, Pki, make_pki

SHA256 = MECHANISMS["SCRAM-SHA-256"]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("unit-pki"))


# -- SCRAM -------------------------------------------------------------------------------

def scram_client(mech: Any, user: str, password: str, server: ScramServer, nonce: str = "rOprNGfwEbeRWgbNEkqO") \
        -> tuple[bytes, bytes]:
    """An RFC 5802 client run against the server: (server-first, server-final)."""
    first_bare = f"n={user},r={nonce}"
    server_first = server.evaluate(f"n,,{first_bare}".encode())
    fields = dict(item.split("=", 1) for item in server_first.decode().split(","))
    salted = hashlib.pbkdf2_hmac(mech.hash_name, password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", mech.hash_name).digest()
    stored = hashlib.new(mech.hash_name, client_key).digest()
    final_bare = f"c=biws,r={fields['r']}"
    auth = f"{first_bare},{server_first.decode()},{final_bare}".encode()
    sig = hmac.new(stored, auth, mech.hash_name).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig, strict=True))).decode()
    return server_first, server.evaluate(f"{final_bare},p={proof}".encode())


def test_scram_credential_as_rfc_7677_and_kafka_store_it() -> None:
    # RFC 7677's SCRAM-SHA-256 example: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096
    cred = credential_from_password(SHA256, "pencil", 4096, base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="))
    text = cred.to_kafka_string()
    assert text.startswith("salt=W22ZaJ0SNY7soEsUEjb6gQ==,stored_key=") and text.endswith(",iterations=4096")
    assert ScramCredential.from_kafka_string(text) == cred
    server = ScramServer(SHA256, lambda u: cred if u == "user" else None)
    server_first = server.evaluate(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    assert server_first.startswith(b"r=rOprNGfwEbeRWgbNEkqO") and b",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096" in server_first
    with pytest.raises(ValueError, match="Credentials not valid"):
        ScramCredential.from_kafka_string("salt=abc,iterations=1")


@pytest.mark.parametrize("mech", sorted(MECHANISMS))
def test_scram_exchange_and_its_failures(mech: str) -> None:
    m = MECHANISMS[mech]
    cred = credential_from_password(m, "s3cret", 8192)
    lookup = {"alice": cred}.get
    server = ScramServer(m, lookup)
    _first, final = scram_client(m, "alice", "s3cret", server)
    assert server.complete and server.authorization_id == "alice" and final.startswith(b"v=")
    expected = f"Authentication failed during authentication due to invalid credentials with SASL mechanism {mech}"
    with pytest.raises(SaslFailure, match=expected):
        scram_client(m, "alice", "wrong", ScramServer(m, lookup))
    with pytest.raises(SaslFailure, match=expected):  # unknown user: the same sentence, one step earlier
        ScramServer(m, lookup).evaluate(b"n,,n=mallory,r=abc")
    with pytest.raises(SaslFailure, match=expected):
        ScramServer(m, lookup).evaluate(b"\xff\xfegarbage")
    with pytest.raises(SaslFailure, match="authorization id that is different"):
        ScramServer(m, lookup).evaluate(b"n,a=bob,n=alice,r=abc")


def test_plain_server_as_kafka_answers() -> None:
    users = plain_users(parse_jaas('org.apache.kafka.common.security.plain.PlainLoginModule required '
                                   'username="admin" password="a" user_admin="a" user_alice="al\\"ice";'))
    assert users == {"admin": "a", "alice": 'al"ice'}
    ok = PlainServer(users)
    assert ok.evaluate(b'\0alice\0al"ice') == b"" and ok.complete and ok.authorization_id == "alice"
    for token, message in [(b"\0alice\0nope", "Invalid username or password"),
                           (b"\0nobody\0x", "Invalid username or password"),
                           (b"alice\0x", "expected 3 tokens, got 2"), (b"\0\0x", "username not specified"),
                           (b"\0alice\0", "password not specified"),
                           (b'bob\0alice\0al"ice', "authorization id that is different")]:
        with pytest.raises(SaslFailure, match=message):
            PlainServer(users).evaluate(token)


@pytest.mark.parametrize("text", ["", "Module", "Module required user=", "Module required a=\"b\"",
                                  'Module sometimes a="b";'])
def test_malformed_jaas_is_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_jaas(text)


# -- the SASL state machine ----------------------------------------------------------------

def sasl_config(**extra: str) -> dict[str, str]:
    return {"listeners": "SASL_PLAINTEXT://127.0.0.1:0", "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config":
                'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="pw" user_bob="pw2";',
            **extra}


def make_channel(now: list[float], **extra: str) -> Channel:
    cfg = load_broker_config(sasl_config(**extra))
    scram = credential_from_password(SHA256, "pw", 4096)
    return Channel(listener="SASL_PLAINTEXT", protocol="SASL_PLAINTEXT", advertised=("127.0.0.1", 9092),
                   peer_host="127.0.0.1", principal="User:ANONYMOUS", sasl=listener_sasl(cfg, "SASL_PLAINTEXT"),
                   scram_lookup=lambda u, m: scram if u == "alice" else None, failure_delay_ms=100,
                   clock=lambda: now[0])


def test_channel_accepts_only_the_handshake_before_authentication() -> None:
    now = [0.0]
    ch = make_channel(now)
    assert ch.frame_limit(10**8) == 524288
    ch.admit(18)  # ApiVersions, once
    with pytest.raises(AuthenticationClosed, match="Unexpected Kafka request of type 18"):
        ch.admit(18)
    ch = make_channel(now)
    with pytest.raises(AuthenticationClosed, match="Unexpected Kafka request of type 36 during SASL handshake"):
        ch.admit(36)  # SaslAuthenticate before SaslHandshake
    ch = make_channel(now)
    with pytest.raises(AuthenticationClosed):
        ch.admit(3)  # Metadata before authenticating
    ch = make_channel(now)
    ch.admit(17)
    assert ch.handshake("GSSAPI", 1) == (33, ["PLAIN", "SCRAM-SHA-256"])
    assert ch.close_after_response and ch.response_delay == 0.1


def test_channel_authenticates_then_serves_then_reauthenticates() -> None:
    now = [100.0]
    ch = make_channel(now, **{"connections.max.reauth.ms": "60000"})
    ch.admit(17)
    assert ch.handshake("PLAIN", 1) == (0, ["PLAIN", "SCRAM-SHA-256"])
    ch.admit(36)
    assert ch.authenticate(b"\0alice\0pw") == (0, None, b"", 60000)
    assert ch.principal == "User:alice" and ch.authenticated and ch.frame_limit(10**8) == 10**8
    ch.admit(3)
    assert ch.handshake("PLAIN", 1)[0] == 34  # a handshake that is not a re-authentication
    now[0] += 30
    ch.admit(17)  # re-authentication begins
    assert ch.handshake("PLAIN", 1)[0] == 0
    assert ch.authenticate(b"\0bob\0pw2")[:2] == (58, "Cannot change principals during re-authentication from "
                                                      "User.alice: User.bob")
    ch = make_channel(now, **{"connections.max.reauth.ms": "60000"})
    ch.admit(17)
    ch.handshake("PLAIN", 1)
    ch.authenticate(b"\0alice\0pw")
    now[0] += 61
    with pytest.raises(AuthenticationClosed, match="expired"):
        ch.admit(3)


def test_channel_raw_tokens_after_handshake_v0() -> None:
    now = [0.0]
    ch = make_channel(now)
    ch.admit(17)
    assert ch.handshake("PLAIN", 0)[0] == 0 and ch.raw_tokens
    assert ch.raw_token(b"\0alice\0pw") == b"" and ch.authenticated
    ch = make_channel(now)
    ch.admit(17)
    ch.handshake("PLAIN", 0)
    with pytest.raises(AuthenticationClosed, match="failed authentication"):
        ch.raw_token(b"\0alice\0bad")


def test_wrong_password_fails_once_and_closes() -> None:
    now = [0.0]
    ch = make_channel(now)
    ch.admit(17)
    ch.handshake("SCRAM-SHA-256", 1)
    code, message, _reply, _life = ch.authenticate(b"n,,n=nobody,r=x")
    assert code == 58 and "invalid credentials with SASL mechanism SCRAM-SHA-256" in str(message)
    assert ch.close_after_response
    with pytest.raises(AuthenticationClosed):
        ch.admit(36)


@pytest.mark.parametrize(("settings", "message"), [
    ({"sasl.enabled.mechanisms": "GSSAPI"}, "GSSAPI is not supported"),
    ({"sasl.enabled.mechanisms": "PLAIN", "listener.name.sasl_plaintext.plain.sasl.jaas.config": ""},
     "sasl.jaas.config is not set"),
    ({"listeners": "SECRET://127.0.0.1:0"}, "no security protocol is defined for listener SECRET"),
    ({"authorizer.class.name": "com.example.Mine"}, "is not supported"),
    ({"super.users": "admin"}, "principalType:principalName"),
])
def test_security_configuration_errors_name_the_property(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        BrokerSecurity(load_broker_config({**sasl_config(), **settings}), None)


# -- TLS configuration -------------------------------------------------------------------------

def tls_config(certs: Pki, **props: str) -> dict[str, str]:
    return {"listeners": "SSL://127.0.0.1:0", **props}


def test_tls_context_from_every_keystore_form(certs: Pki, tmp_path: Path) -> None:
    b = certs.broker
    forms = [
        {"ssl.keystore.type": "PEM", "ssl.keystore.location": str(b.bundle_pem)},
        {"ssl.keystore.type": "PKCS12", "ssl.keystore.location": str(b.p12), "ssl.keystore.password": STORE_PASSWORD},
        {"ssl.keystore.location": str(b.p12), "ssl.keystore.password": STORE_PASSWORD},  # JKS-typed PKCS12
        {"ssl.keystore.type": "PEM", "ssl.keystore.key": b.key_pem_encrypted.read_text(),
         "ssl.key.password": KEY_PASSWORD, "ssl.keystore.certificate.chain": b.cert_pem.read_text()},
    ]
    for form in forms:
        ctx = server_context(load_broker_config(tls_config(certs, **form)), "SSL")
        assert ctx.verify_mode == ssl.CERT_NONE
    trust = {"ssl.client.auth": "required", "ssl.truststore.type": "PKCS12",
             "ssl.truststore.location": str(certs.ca_p12), "ssl.truststore.password": STORE_PASSWORD}
    ctx = server_context(load_broker_config(tls_config(certs, **forms[0], **trust)), "SSL")
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    jks = tmp_path / "broker.jks"
    jks.write_bytes(b"\xfe\xed\xfe\xed" + b"\0" * 60)
    bad = [({"ssl.keystore.location": str(jks), "ssl.keystore.password": "x"}, "Java JKS keystore"),
           ({"ssl.keystore.type": "PKCS12", "ssl.keystore.location": str(b.p12), "ssl.keystore.password": "nope"},
            "wrong password"),
           ({"ssl.keystore.type": "PEM", "ssl.keystore.location": str(tmp_path / "missing.pem")}, "missing.pem"),
           ({"ssl.keystore.type": "PEM", "ssl.keystore.location": str(b.bundle_pem), "ssl.client.auth": "required"},
            "needs ssl.truststore.location"),
           ({}, "ssl.keystore.location is not set")]
    for props, message in bad:
        with pytest.raises(ConfigError, match=message):
            server_context(load_broker_config(tls_config(certs, **props)), "SSL")


def test_principal_mapping_rules() -> None:
    assert PrincipalMapper("DEFAULT").name("CN=alice,O=Org") == "CN=alice,O=Org"
    rules = PrincipalMapper("RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, RULE:^CN=([a-z]+),O=Org$/$1@org/,DEFAULT")
    assert rules.name("CN=Kafka,OU=ServiceUsers,O=Org") == "kafka"
    assert rules.name("CN=alice,O=Org") == "alice@org"
    assert rules.name("CN=x,O=Other") == "CN=x,O=Other"
    assert PrincipalMapper("RULE:^CN=(.*)$/$1/U").name("O=none") is None


# -- ACLs and the authorizer ----------------------------------------------------------------------

def acl(rtype: ResourceType, name: str, principal: str, op: Operation, permission: Permission = Permission.ALLOW,
        pattern: PatternType = PatternType.LITERAL, host: str = "*") -> AclBinding:
    return AclBinding(rtype, name, pattern, principal, host, op, permission)


T, G, C = ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER


def test_authorizer_follows_kafkas_rules(tmp_path: Path) -> None:
    store = SecurityStore(tmp_path / "sec.sqlite")
    az = Authorizer(store, frozenset({"User:admin"}))
    az.create([acl(T, "orders", "User:alice", Operation.READ),
               acl(T, "pay", "User:alice", Operation.WRITE, pattern=PatternType.PREFIXED),
               acl(T, "payroll", "User:alice", Operation.ALL, Permission.DENY),
               acl(T, "*", "User:*", Operation.DESCRIBE, host="10.0.0.1"),
               acl(G, "app-", "User:alice", Operation.READ, pattern=PatternType.PREFIXED),
               acl(C, "kafka-cluster", "User:ops", Operation.ALTER_CONFIGS)])
    ok = lambda *a: az.authorize("User:alice", "127.0.0.1", *a)  # noqa: E731
    assert ok(Operation.READ, T, "orders") and ok(Operation.DESCRIBE, T, "orders")  # READ implies DESCRIBE
    assert not ok(Operation.WRITE, T, "orders")
    assert ok(Operation.WRITE, T, "payments") and not ok(Operation.WRITE, T, "payroll")  # DENY wins
    assert not ok(Operation.DESCRIBE, T, "other")
    assert az.authorize("User:bob", "10.0.0.1", Operation.DESCRIBE, T, "other")  # wildcard name, principal and host
    assert ok(Operation.READ, G, "app-1") and not ok(Operation.READ, G, "web")
    assert az.authorize("User:ops", "h", Operation.DESCRIBE_CONFIGS, C, "kafka-cluster")  # implied by ALTER_CONFIGS
    assert az.authorize("User:admin", "h", Operation.DELETE, T, "payroll")  # super user, despite DENY
    assert not ok(Operation.READ, T, "no-acls-at-all")
    assert Authorizer(None, allow_if_no_acl=True).authorize("User:x", "h", Operation.READ, T, "no-acls-at-all")
    assert [o.name for o in az.authorized_operations("User:alice", "h", T, "orders")] == ["READ", "DESCRIBE"]
    assert az.authorize_by_resource_type("User:alice", "h", Operation.WRITE, T)
    assert not az.authorize_by_resource_type("User:bob", "h", Operation.WRITE, T)
    # the ACLs are on disk: a new authorizer on the same store decides the same
    again = Authorizer(SecurityStore(tmp_path / "sec.sqlite"), frozenset())
    assert again.authorize("User:alice", "h", Operation.READ, T, "orders")
    deleted = again.delete([AclFilter.of(2, None, 1, "User:alice", None, 1, 1),
                            AclFilter.of(1, None, 1, None, None, 1, 1)])
    assert len(deleted[0]) == 3 and len(deleted[1]) == 3  # each binding counts for the first filter that matched
    assert SecurityStore(tmp_path / "sec.sqlite").acls() == []


def test_acl_filters_match_as_kafkas() -> None:
    lit = acl(T, "orders", "User:a", Operation.READ)
    wild = acl(T, "*", "User:a", Operation.READ)
    pre = acl(T, "ord", "User:a", Operation.READ, pattern=PatternType.PREFIXED)
    match = AclFilter.of(2, "orders", int(PatternType.MATCH), None, None, 1, 1)
    assert [match.matches(b) for b in (lit, wild, pre)] == [True, True, True]
    exact = AclFilter.of(2, "orders", int(PatternType.LITERAL), None, None, 1, 1)
    assert [exact.matches(b) for b in (lit, wild, pre)] == [True, False, False]
    any_pattern = AclFilter.of(1, "ord", int(PatternType.ANY), "User:a", "*", int(Operation.READ), 3)
    assert [any_pattern.matches(b) for b in (lit, wild, pre)] == [False, False, True]
    assert acl(C, "other", "User:a", Operation.ALTER).problem() == \
        "The only valid name for the CLUSTER resource is kafka-cluster"
    assert AclBinding.of(2, "t", 1, "User:a", "*", 3, 3).problem() == "ACL binding contains unknown elements"
    assert AclBinding.of(2, "t", 3, "alice", "*", 3, 3).problem() is not None


def test_every_api_has_an_authorization_rule() -> None:
    missing = [f"{r.name} ({r.api_key})" for r in ROUTES if r.api_key not in gates.GATES and
               r.api_key not in gates.NO_CHECK]
    assert not missing, f"APIs served without an authorization rule in engine/security/gates.py: {missing}"
