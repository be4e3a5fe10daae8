"""SASL mechanisms of the engine: PLAIN (users from the listener's JAAS config) and SCRAM-SHA-256/512.

Each mechanism is a small server object with `evaluate(token) -> token`, `complete` and
`authorization_id`; a failure raises SaslFailure carrying the sentence Kafka sends.
GSSAPI and OAUTHBEARER are not offered: a listener configured with them is refused at
start with a sentence saying so.
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Callable
from typing import Protocol

from engine.config import BrokerConfig, ConfigError
from engine.security.jaas import parse_jaas, plain_users
from engine.security.sasl_errors import SaslFailure
from engine.security.scram import MECHANISMS, ScramCredential, ScramServer

SUPPORTED = ("PLAIN", *MECHANISMS)


class SaslServer(Protocol):
    mechanism: str
    complete: bool
    authorization_id: str

    def evaluate(self, token: bytes) -> bytes: ...


class PlainServer:
    """RFC 4616: [authzid] NUL authcid NUL passwd, checked against the JAAS user_<name> entries."""

    mechanism = "PLAIN"

    def __init__(self, users: dict[str, str]) -> None:
        self.users = users
        self.complete = False
        self.authorization_id = ""

    def evaluate(self, token: bytes) -> bytes:
        parts = token.decode("utf-8", errors="replace").split("\0", 3)
        if len(parts) != 3:
            raise SaslFailure(f"Invalid SASL/PLAIN response: expected 3 tokens, got {len(parts)}")
        authzid, user, password = parts
        if not user:
            raise SaslFailure("Authentication failed: username not specified")
        if not password:
            raise SaslFailure("Authentication failed: password not specified")
        expected = self.users.get(user)
        if expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
            raise SaslFailure("Authentication failed: Invalid username or password")
        if authzid and authzid != user:
            raise SaslFailure("Authentication failed: Client requested an authorization id that is different "
                              "from username")
        self.authorization_id = user
        self.complete = True
        return b""


@dataclasses.dataclass(frozen=True)
class ListenerSasl:
    """A SASL listener's mechanisms and their settings."""

    mechanisms: tuple[str, ...]
    plain_users: dict[str, str]
    reauth_ms: dict[str, int]  # connections.max.reauth.ms per mechanism (0: off)
    max_receive_size: int

    def server(self, mechanism: str, scram_lookup: Callable[[str, str], ScramCredential | None],
               reauthenticating: bool = False) -> SaslServer:
        if mechanism == "PLAIN":
            return PlainServer(self.plain_users)
        mech = MECHANISMS[mechanism]
        return ScramServer(mech, lambda user: scram_lookup(user, mech.name), reauthenticating)


def listener_sasl(config: BrokerConfig, listener: str) -> ListenerSasl:
    """The SASL settings of one listener from sasl.enabled.mechanisms and listener.name.*.<mech>.sasl.jaas.config."""
    mechanisms = tuple(m.strip().upper() for m in config.listener_value(listener, "sasl.enabled.mechanisms"))
    if not mechanisms:
        raise ConfigError(f"listener {listener}: sasl.enabled.mechanisms is empty")
    for m in mechanisms:
        if m not in SUPPORTED:
            extra = " (the default of sasl.enabled.mechanisms is GSSAPI: set it)" if m == "GSSAPI" else ""
            raise ConfigError(f"listener {listener}: SASL mechanism {m} is not supported by this broker; "
                              f"use {', '.join(SUPPORTED)}{extra}")
    users: dict[str, str] = {}
    reauth: dict[str, int] = {}
    base_reauth = int(config.listener_value(listener, "connections.max.reauth.ms"))
    for m in mechanisms:
        prefix = f"listener.name.{listener.lower()}.{m.lower()}."
        jaas = config.values.get(prefix + "sasl.jaas.config")
        if m == "PLAIN":
            if not jaas:
                raise ConfigError(f"listener {listener} enables PLAIN but {prefix}sasl.jaas.config is not set "
                                  '(PlainLoginModule required user_<name>="<password>" ...;)')
            users = plain_users(parse_jaas(jaas))
        elif jaas:
            parse_jaas(jaas)  # refuse a malformed one at start, as Kafka does
        mech_reauth = config.values.get(prefix + "connections.max.reauth.ms")
        reauth[m] = int(mech_reauth) if mech_reauth is not None else base_reauth
    return ListenerSasl(mechanisms, users, reauth, int(config.listener_value(listener, "sasl.server.max.receive.size")))
