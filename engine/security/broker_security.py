"""Everything security one broker process has: its listeners, their TLS and SASL settings, the authorizer, users.

Built once at start from the broker config (`BrokerSecurity.open`), which refuses a bad
configuration with a ConfigError naming the property; the server asks it for a
Channel per accepted connection, handlers for the authorizer and SCRAM users.
"""

from __future__ import annotations

import logging
import ssl
from pathlib import Path
from typing import Any

from engine.config import BrokerConfig, ConfigError
from engine.security.authorizer import AUTHORIZER_CLASSES, Authorizer, parse_super_users
from engine.security.channel import Channel
from engine.security.listeners import Listener, advertised_addresses, parse_listeners
from engine.security.sasl import ListenerSasl, listener_sasl
from engine.security.scram import ScramCredential
from engine.security.store import SecurityStore
from engine.security.tls import ANONYMOUS, PrincipalMapper, peer_principal, server_context

log = logging.getLogger("engine.security")
STORE_FILE = "engine-security.sqlite"


class BrokerSecurity:
    def __init__(self, config: BrokerConfig, store: SecurityStore | None) -> None:
        self.config = config
        self.listeners = parse_listeners(config)
        self.by_name = {lst.name: lst for lst in self.listeners}
        self.tls: dict[str, ssl.SSLContext] = {}
        self.sasl: dict[str, ListenerSasl] = {}
        self.mappers: dict[str, PrincipalMapper] = {}
        for lst in self.listeners:
            if lst.tls:
                self.tls[lst.name] = server_context(config, lst.name)
                rules = str(config.listener_value(lst.name, "ssl.principal.mapping.rules"))
                self.mappers[lst.name] = PrincipalMapper(rules)
            if lst.sasl:
                self.sasl[lst.name] = listener_sasl(config, lst.name)
        self.advertised: dict[str, tuple[str, int]] = {lst.name: (lst.host, lst.port) for lst in self.listeners}
        cls = str(config["authorizer.class.name"]).strip()
        if cls and cls not in AUTHORIZER_CLASSES:
            raise ConfigError(f"authorizer.class.name {cls} is not supported: use "
                              "kafka.security.authorizer.AclAuthorizer or "
                              "org.apache.kafka.metadata.authorizer.StandardAuthorizer (the same ACL authorizer here)")
        try:
            super_users = parse_super_users(str(config["super.users"]))
        except ValueError as exc:
            raise ConfigError(f"super.users: {exc}") from None
        self.store = store
        self.authorizer = Authorizer(store, super_users, bool(config["allow.everyone.if.no.acl.found"]),
                                     enabled=bool(cls))
        self._scram: dict[tuple[str, str], str] = store.scram_credentials() if store is not None else {}

    @classmethod
    def open(cls, config: BrokerConfig, data_dir: Path | None) -> BrokerSecurity:
        store = SecurityStore(data_dir / STORE_FILE) if data_dir is not None else None
        try:
            return cls(config, store)
        except BaseException:
            if store is not None:
                store.close()
            raise

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def describe(self) -> str:
        parts = []
        for lst in self.listeners:
            extra = f" ({', '.join(self.sasl[lst.name].mechanisms)})" if lst.name in self.sasl else ""
            if lst.name in self.tls:
                auth = self.config.listener_value(lst.name, "ssl.client.auth")
                extra += f" client auth {auth}" if auth != "none" else ""
            parts.append(f"{lst.name}={lst.protocol}{extra}")
        az = "ACL authorizer" if self.authorizer.enabled else "no authorizer"
        return f"listeners {', '.join(parts)}; {az}"

    def bound(self, name: str, host: str, port: int) -> None:
        """The address a listener really bound (port 0 picks one); advertised.listeners may override it."""
        self.advertised[name] = (host, port)
        self.advertised = advertised_addresses(self.config, self.advertised)

    # -- connections -------------------------------------------------------------------

    def channel(self, listener: Listener, peer_host: str, ssl_object: Any) -> Channel | None:
        """The authentication state of a new connection; None when its client certificate maps to no principal."""
        principal = ANONYMOUS
        if listener.tls and not listener.sasl:
            mapped = peer_principal(ssl_object, self.mappers[listener.name])
            if mapped is None:
                return None
            principal = mapped
        return Channel(listener=listener.name, protocol=listener.protocol, advertised=self.advertised[listener.name],
                       peer_host=peer_host, principal=principal, sasl=self.sasl.get(listener.name),
                       scram_lookup=self.scram_credential,
                       failure_delay_ms=int(self.config["connection.failed.authentication.delay.ms"]))

    # -- SCRAM users -------------------------------------------------------------------

    def scram_credential(self, user: str, mechanism: str) -> ScramCredential | None:
        text = self._scram.get((user, mechanism))
        if text is None:
            return None
        try:
            return ScramCredential.from_kafka_string(text)
        except ValueError:
            log.warning("the stored %s credential of %s is not valid", mechanism, user)
            return None

    def scram_users(self) -> dict[str, dict[str, int]]:
        """user -> mechanism -> iterations."""
        out: dict[str, dict[str, int]] = {}
        for (user, mech), text in sorted(self._scram.items()):
            try:
                out.setdefault(user, {})[mech] = ScramCredential.from_kafka_string(text).iterations
            except ValueError:
                continue
        return out

    def change_scram(self, upserts: dict[tuple[str, str], ScramCredential], deletes: list[tuple[str, str]]) -> None:
        strings = {k: c.to_kafka_string() for k, c in upserts.items()}
        if self.store is not None:
            self.store.change_scram(strings, deletes)
        for key in deletes:
            self._scram.pop(key, None)
        self._scram.update(strings)
