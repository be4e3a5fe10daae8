"""Listeners as Kafka configures them: `listeners`, `advertised.listeners` and `listener.security.protocol.map`.

A listener is a name bound to host:port; its security protocol comes from the map
(the four standard names map to themselves by default). The broker advertises, per
listener, the address given in `advertised.listeners` under the same name, or the
bound address; a client is told the brokers' addresses on the listener it came in on.
"""

from __future__ import annotations

import dataclasses

from engine.config import SECURITY_PROTOCOLS, BrokerConfig, ConfigError


@dataclasses.dataclass(frozen=True)
class Listener:
    name: str
    host: str
    port: int
    protocol: str  # PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def sasl(self) -> bool:
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")


def protocol_map(config: BrokerConfig) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in config["listener.security.protocol.map"]:
        name, _, proto = item.partition(":")
        out[name.strip().upper()] = proto.strip().upper()
    return out


def parse_listeners(config: BrokerConfig) -> list[Listener]:
    """The listeners to bind, each with its security protocol; ConfigError names what is wrong."""
    protocols = protocol_map(config)
    out: list[Listener] = []
    seen: set[str] = set()
    for name, host, port in config.listeners:
        key = name.upper()
        if key in seen:
            raise ConfigError(f"listeners: the listener name {name} is used twice")
        seen.add(key)
        proto = protocols.get(key)
        if proto is None:
            raise ConfigError(f"listeners: no security protocol is defined for listener {name} "
                              "(add it to listener.security.protocol.map)")
        if proto not in SECURITY_PROTOCOLS:
            raise ConfigError(f"listener.security.protocol.map: {proto} is not a security protocol")
        out.append(Listener(key, host, port, proto))
    return out


def advertised_addresses(config: BrokerConfig, bound: dict[str, tuple[str, int]]) -> dict[str, tuple[str, int]]:
    """Per listener name, the host and port clients are told: advertised.listeners by name, else the bound one."""
    out = dict(bound)
    if config["advertised.listeners"]:
        for name, host, port in config.advertised:
            if name.upper() in out:
                out[name.upper()] = (host or bound[name.upper()][0], port)
    return out
