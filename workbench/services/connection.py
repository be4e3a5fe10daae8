"""What a connection is (bootstrap, SASL, TLS, extra properties, ZooKeeper) and its librdkafka configuration.

Security as Kafka's clients configure it: the security protocol follows from a SASL
mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and the TLS switch; TLS trusts the
system's CA store unless a CA certificate (PEM) is chosen, and a client certificate
(mutual TLS) comes as PEM certificate and key files or as a PKCS#12 keystore.
"""

from __future__ import annotations

import dataclasses
from typing import Any

SASL_MECHANISMS = ("", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
REGISTRY_AUTHS = {"": "none", "basic": "basic (user name and password)", "bearer": "bearer token"}


@dataclasses.dataclass(frozen=True)
class ConnectionSpec:
    """A cluster to talk to. Secrets (password, key password) are filled in from the keyring by the store."""

    name: str
    bootstrap: str
    sasl_mechanism: str = ""
    sasl_username: str = ""
    sasl_password: str = ""
    tls: bool = False
    tls_ca_path: str = ""
    tls_cert_path: str = ""
    tls_key_path: str = ""
    tls_key_password: str = ""
    tls_keystore_path: str = ""  # a PKCS#12 client certificate (instead of tls_cert_path + tls_key_path)
    tls_keystore_password: str = ""
    tls_verify_hostname: bool = True
    extra: dict[str, str] = dataclasses.field(default_factory=dict)
    zookeeper: str = ""
    read_only: bool = False
    local: bool = False
    # Schema Registry (Confluent-compatible API); password and token are secrets, kept in the keyring
    registry_url: str = ""
    registry_auth: str = ""  # "", "basic" or "bearer"
    registry_username: str = ""
    registry_password: str = ""
    registry_token: str = ""
    registry_ca_path: str = ""

    @property
    def security_protocol(self) -> str:
        if self.sasl_mechanism:
            return "SASL_SSL" if self.tls else "SASL_PLAINTEXT"
        return "SSL" if self.tls else "PLAINTEXT"

    def addresses(self) -> list[tuple[str, int]]:
        """Every bootstrap server as (host, port), in the profile's order."""
        out = []
        for item in self.bootstrap.split(","):
            if item.strip():
                out.append(ConnectionSpec(self.name, item).first_address())
        return out or [self.first_address()]

    def first_address(self) -> tuple[str, int]:
        first = self.bootstrap.split(",")[0].strip()
        if "://" in first:
            first = first.split("://", 1)[1]
        host, _, port = first.rpartition(":")
        if not host:
            raise ValueError(f"bootstrap server {first!r} needs host:port")
        return host.strip("[]"), int(port)


def client_config(spec: ConnectionSpec, timeout_s: float) -> dict[str, Any]:
    """librdkafka properties for this connection; extra properties win over the generated ones."""
    ms = int(timeout_s * 1000)
    conf: dict[str, Any] = {
        "bootstrap.servers": spec.bootstrap,
        "client.id": "kafka-workbench",
        "security.protocol": spec.security_protocol,
        "socket.timeout.ms": ms,
        "socket.connection.setup.timeout.ms": ms,
        "reconnect.backoff.max.ms": 2000,
        "topic.metadata.refresh.interval.ms": -1,
        "log_level": 2,
        "reconnect.backoff.ms": 200,
    }
    if spec.sasl_mechanism:
        conf["sasl.mechanism"] = spec.sasl_mechanism
        conf["sasl.username"] = spec.sasl_username
        conf["sasl.password"] = spec.sasl_password
    if spec.tls:
        conf["ssl.ca.location"] = spec.tls_ca_path or "probe"  # probe: the system's CA certificates
        if not spec.tls_verify_hostname:
            conf["ssl.endpoint.identification.algorithm"] = "none"
        if spec.tls_keystore_path:
            conf["ssl.keystore.location"] = spec.tls_keystore_path
            conf["ssl.keystore.password"] = spec.tls_keystore_password
        if spec.tls_cert_path:
            conf["ssl.certificate.location"] = spec.tls_cert_path
        if spec.tls_key_path:
            conf["ssl.key.location"] = spec.tls_key_path
        if spec.tls_key_password:
            conf["ssl.key.password"] = spec.tls_key_password
    conf.update(spec.extra)
    return conf
