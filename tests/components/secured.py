"""Secured brokers: Apache Kafka 3.9 (ZooKeeper mode) and the engine, configured with the same properties.

Four listeners each, the same on both:
    SASL_SSL        PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 over TLS
    SSL             TLS with client certificates required (principal User:CN=<name>)
    SASL_PLAINTEXT  the same mechanisms without TLS
    PLAINTEXT       anonymous (User:ANONYMOUS), for readiness checks and refusals
    SCRAM_ONLY      SASL_PLAINTEXT offering SCRAM-SHA-512 only (a listener where PLAIN is not enabled)
The ACL authorizer is on (`kafka.security.authorizer.AclAuthorizer`), with
`super.users=User:admin;User:CN=admin;User:CN=broker` and no access without ACLs.
PLAIN users come from the listeners' JAAS configs; SCRAM users are created after start
through AlterUserScramCredentials by the admin's client certificate, as an operator
would with kafka-configs, so both brokers store them their own way.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.components.engine_proc import EngineProcess, _require_engine
from tests.components.kafka_server import COMMON, TEST_JVM, ZK_MODE_VERSION, _java, _props, broker_ready
from tests.components.kafka_tools import kafka_libs
from tests.components.pki import Pki, make_pki
from tests.components.process import ManagedProcess, free_port
from tests.components.report import record
from tests.components.zk_server import ZooKeeper, start_zookeeper

USERS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
LISTENERS = ("SASL_SSL", "SSL", "SASL_PLAINTEXT", "PLAINTEXT", "SCRAM_ONLY")
PROTOCOLS = {"SCRAM_ONLY": "SASL_PLAINTEXT"}
SUPER_USERS = "User:admin;User:CN=admin;User:CN=broker"
AUTHORIZER = "kafka.security.authorizer.AclAuthorizer"
SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" ' \
             f'password="{USERS["admin"]}";'


def plain_jaas(users: dict[str, str]) -> str:
    entries = " ".join(f'user_{u}="{p}"' for u, p in users.items())
    return (f'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
            f'password="{users["admin"]}" {entries};')


def security_properties(pki: Pki, ports: dict[str, int], **extra: str) -> dict[str, str]:
    """The server.properties lines both brokers share (Kafka's own names)."""
    addresses = ",".join(f"{name}://127.0.0.1:{ports[name]}" for name in LISTENERS)
    props = {
        "listeners": addresses, "advertised.listeners": addresses,
        "listener.security.protocol.map": ",".join(f"{n}:{PROTOCOLS.get(n, n)}" for n in LISTENERS),
        "listener.name.scram_only.sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "listener.name.scram_only.scram-sha-512.sasl.jaas.config": SCRAM_JAAS,
        "sasl.enabled.mechanisms": ",".join(MECHANISMS),
        "ssl.keystore.type": "PEM", "ssl.keystore.location": str(pki.broker.bundle_pem),
        "ssl.truststore.type": "PEM", "ssl.truststore.location": str(pki.ca_pem),
        "listener.name.ssl.ssl.client.auth": "required",
        "authorizer.class.name": AUTHORIZER, "super.users": SUPER_USERS,
        "allow.everyone.if.no.acl.found": "false",
    }
    for listener in ("sasl_ssl", "sasl_plaintext"):
        props[f"listener.name.{listener}.plain.sasl.jaas.config"] = plain_jaas(USERS)
        for mech in ("scram-sha-256", "scram-sha-512"):
            props[f"listener.name.{listener}.{mech}.sasl.jaas.config"] = SCRAM_JAAS
    props.update(extra)
    return props


@dataclasses.dataclass
class SecuredCluster:
    name: str
    version: str
    addresses: dict[str, str]
    pki: Pki
    stop: Any
    pid: int
    startup_seconds: float = 0.0
    engine: EngineProcess | None = None  # the engine's process (restartable), None for Kafka

    def bootstrap(self, listener: str) -> str:
        return self.addresses[listener]

    def confluent(self, listener: str, user: str | None = None, mechanism: str = "SCRAM-SHA-256",
                  password: str | None = None, cert: str | None = None, **extra: Any) -> dict[str, Any]:
        """librdkafka properties for a client of this cluster on one listener."""
        protocol = PROTOCOLS.get(listener, listener)
        conf: dict[str, Any] = {"bootstrap.servers": self.addresses[listener], "security.protocol": protocol}
        if protocol.startswith("SASL"):
            assert user is not None
            conf.update({"sasl.mechanism": mechanism, "sasl.username": user,
                         "sasl.password": USERS[user] if password is None else password})
        if listener.endswith("SSL"):
            conf["ssl.ca.location"] = str(self.pki.ca_pem)
            if cert is not None:
                ident = self.pki.client(cert)
                conf.update({"ssl.certificate.location": str(ident.cert_pem), "ssl.key.location": str(ident.key_pem)})
        conf.update({k.replace("_", "."): v for k, v in extra.items()})  # socket_timeout_ms=... for socket.timeout.ms
        return conf

    def java_properties(self, listener: str, user: str | None = None, mechanism: str = "SCRAM-SHA-256",
                        password: str | None = None, cert: str | None = None) -> str:
        """A client.properties for --command-config / --producer.config of Kafka's tools."""
        lines = [f"security.protocol={listener}"]
        if listener.startswith("SASL"):
            assert user is not None
            pw = USERS[user] if password is None else password
            module = "plain.PlainLoginModule" if mechanism == "PLAIN" else "scram.ScramLoginModule"
            lines += [f"sasl.mechanism={mechanism}",
                      f'sasl.jaas.config=org.apache.kafka.common.security.{module} required username="{user}" '
                      f'password="{pw}";']
        if listener.endswith("SSL"):
            lines += ["ssl.truststore.type=PEM", f"ssl.truststore.location={self.pki.ca_pem}"]
            if cert is not None:
                lines += ["ssl.keystore.type=PKCS12", f"ssl.keystore.location={self.pki.client(cert).p12}",
                          "ssl.keystore.password=store-secret"]
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        self.stop()


def _ports() -> dict[str, int]:
    return {name: free_port() for name in LISTENERS}


def create_scram_users(cluster: SecuredCluster, users: dict[str, str] = USERS, timeout: float = 60.0) -> None:
    """SCRAM-SHA-256 and -512 credentials for every user, made by the admin's certificate on the SSL listener;
    returns once each user can log in with both (Kafka 3.9 applies them through a ZooKeeper notification)."""
    from confluent_kafka.admin import (
        AdminClient,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialUpsertion,
    )

    admin = AdminClient(cluster.confluent("SSL", cert="admin"))
    upserts = [UserScramCredentialUpsertion(user, ScramCredentialInfo(mech, 4096), password.encode())
               for user, password in users.items()
               for mech in (ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512)]
    for fut in admin.alter_user_scram_credentials(upserts).values():
        fut.result(timeout=30)
    deadline = time.monotonic() + timeout
    for user in users:
        for mech in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
            while True:  # bounded by the deadline
                try:
                    AdminClient(cluster.confluent("SASL_PLAINTEXT", user, mech, socket_timeout_ms=3000)) \
                        .list_topics(timeout=3)
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)


def start_secured_engine(workdir: Path, pki: Pki, **extra: str) -> SecuredCluster:
    _require_engine()
    ports = _ports()
    workdir.mkdir(parents=True, exist_ok=True)
    eng = EngineProcess(workdir / "data", {**COMMON, **security_properties(pki, ports), **extra})
    eng.port, eng.bootstrap = ports["PLAINTEXT"], f"127.0.0.1:{ports['PLAINTEXT']}"  # readiness on PLAINTEXT
    eng.start()
    addresses = {n: f"127.0.0.1:{p}" for n, p in ports.items()}
    return SecuredCluster("engine", eng.version, addresses, pki, eng.close, eng.pid, eng.startup_seconds, eng)


def start_secured_kafka(workdir: Path, pki: Pki, zk: ZooKeeper, jvm: list[str] = TEST_JVM) -> SecuredCluster:
    libs = kafka_libs(ZK_MODE_VERSION)
    workdir.mkdir(parents=True, exist_ok=True)
    ports = _ports()
    props = {"broker.id": "1", "log.dirs": str(workdir / "logs"), "zookeeper.connect": zk.connect,
             "inter.broker.listener.name": "SSL", **COMMON, **security_properties(pki, ports)}
    cfg = workdir / "server.properties"
    cfg.write_text(_props(props))
    proc = ManagedProcess("kafka-3.9-secured", [*_java(libs, workdir, jvm), "kafka.Kafka", str(cfg)],
                          workdir / "kafka.out")
    plaintext = f"127.0.0.1:{ports['PLAINTEXT']}"
    proc.start(lambda: broker_ready(plaintext), timeout=120)

    def stop() -> None:
        proc.stop()
        zk.process.stop()
    return SecuredCluster("kafka-3.9", ZK_MODE_VERSION, {n: f"127.0.0.1:{p}" for n, p in ports.items()}, pki, stop,
                          proc.pid, proc.startup_seconds)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def secured_engine(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[SecuredCluster]:
    cluster = start_secured_engine(tmp_path_factory.mktemp("engine-secured"), pki)
    try:
        create_scram_users(cluster)
    except BaseException:
        cluster.close()
        raise
    record("engine (secured)", cluster.version, cluster.startup_seconds)
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[SecuredCluster]:
    kafka_libs(ZK_MODE_VERSION)
    zk = start_zookeeper(tmp_path_factory.mktemp("secured-zookeeper"))
    try:
        cluster = start_secured_kafka(tmp_path_factory.mktemp("kafka-secured"), pki, zk)
    except BaseException:
        zk.process.stop()
        raise
    try:
        create_scram_users(cluster)
    except BaseException:
        cluster.close()
        raise
    record("kafka-3.9 (secured)", cluster.version, cluster.startup_seconds)
    yield cluster
    cluster.close()


@pytest.fixture(params=("secured_engine", "secured_kafka"))
def secured_cluster(request: pytest.FixtureRequest) -> SecuredCluster:
    """The same test against the secured engine and secured Apache Kafka 3.9."""
    cluster = request.getfixturevalue(str(request.param))
    assert isinstance(cluster, SecuredCluster)
    return cluster
