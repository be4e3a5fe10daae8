"""TLS for SSL and SASL_SSL listeners: a server SSLContext from Kafka's ssl.* properties, and client principals.

Keys and certificates come as Kafka takes them: `ssl.keystore.type=PEM` with a PEM
file (`ssl.keystore.location`, private key in PKCS#8, encrypted when
`ssl.key.password` is set) or inline PEM (`ssl.keystore.key` and
`ssl.keystore.certificate.chain`); or a PKCS#12 keystore (`ssl.keystore.location`,
`ssl.keystore.password`, `ssl.key.password`). Java's JKS format is not readable here;
a keystore typed JKS that is in fact PKCS#12 (what keytool writes since Java 9) is read
as PKCS#12. Trust for client certificates comes from `ssl.truststore.*` the same way.

Python's ssl module loads a key pair only from a file, so a key from a keystore or
inline PEM is written, encrypted under a one-time random password, to a private
temporary file that is removed as soon as it is loaded: the plain key never touches disk.

A client's principal is `User:<distinguished name>` of its certificate in RFC 2253
form (as Java's X500Principal prints it), mapped by `ssl.principal.mapping.rules`;
without a certificate it is `User:ANONYMOUS`.
"""

from __future__ import annotations

import os
import re
import secrets
import ssl
import tempfile
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from engine.config import BrokerConfig, ConfigError

ANONYMOUS = "User:ANONYMOUS"
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.S)


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what} {path}: {exc.strerror or exc}") from None


def _pem_blocks(data: bytes, kind: str) -> list[bytes]:
    return [m.group(0) for m in _PEM_BLOCK.finditer(data) if m.group(1).decode().endswith(kind)]


def _is_pkcs12(data: bytes) -> bool:
    return data[:1] == b"\x30"  # a DER SEQUENCE; JKS starts with 0xFEEDFEED


def _load_pkcs12(data: bytes, password: str | None, what: str) -> pkcs12.PKCS12KeyAndCertificates:
    try:
        return pkcs12.load_pkcs12(data, password.encode() if password is not None else None)
    except ValueError as exc:
        raise ConfigError(f"{what}: cannot read the PKCS12 store (wrong password or not PKCS12): {exc}") from None


def _store_type(config: BrokerConfig, listener: str, prop: str, data: bytes | None, what: str) -> str:
    kind = str(config.listener_value(listener, prop))
    if kind == "JKS" and data is not None:
        if not _is_pkcs12(data):
            raise ConfigError(f"{what} is a Java JKS keystore, which this broker cannot read: convert it with "
                              "keytool -importkeystore -deststoretype PKCS12, or use PEM files")
        return "PKCS12"
    return kind


def _key_and_chain(config: BrokerConfig, listener: str) -> tuple[Any, list[x509.Certificate]]:
    def v(name: str) -> Any:
        return config.listener_value(listener, name)
    location, inline_key = v("ssl.keystore.location"), v("ssl.keystore.key")
    inline_chain = v("ssl.keystore.certificate.chain")
    key_password = v("ssl.key.password")
    if inline_key or inline_chain:
        if v("ssl.keystore.type") != "PEM":
            raise ConfigError("ssl.keystore.key can be given only with ssl.keystore.type=PEM")
        if not (inline_key and inline_chain):
            raise ConfigError("ssl.keystore.key and ssl.keystore.certificate.chain must be given together")
        if location:
            raise ConfigError("give either ssl.keystore.location or ssl.keystore.key, not both")
        key, _ = _pem_key_and_chain(inline_key.encode(), key_password, "ssl.keystore.key", need_chain=False)
        chain = [x509.load_pem_x509_certificate(c) for c in _pem_blocks(inline_chain.encode(), "CERTIFICATE")]
        if not chain:
            raise ConfigError("ssl.keystore.certificate.chain holds no certificate")
        return key, chain
    if not location:
        raise ConfigError(f"listener {listener} uses TLS but ssl.keystore.location is not set")
    data = _read(location, "ssl.keystore.location")
    kind = _store_type(config, listener, "ssl.keystore.type", data, f"ssl.keystore.location {location}")
    if kind == "PEM":
        if v("ssl.keystore.password"):
            raise ConfigError("ssl.keystore.password cannot be given with ssl.keystore.type=PEM; "
                              "only ssl.key.password may be")
        return _pem_key_and_chain(data, key_password, f"ssl.keystore.location {location}")
    store = _load_pkcs12(data, v("ssl.keystore.password"), f"ssl.keystore.location {location}")
    if store.key is None or store.cert is None:
        raise ConfigError(f"ssl.keystore.location {location} holds no private key with its certificate")
    return store.key, [store.cert.certificate, *(c.certificate for c in store.additional_certs)]


def _pem_key_and_chain(data: bytes, password: str | None, what: str,
                       need_chain: bool = True) -> tuple[Any, list[x509.Certificate]]:
    keys = _pem_blocks(data, "PRIVATE KEY")
    if len(keys) != 1:
        raise ConfigError(f"{what}: expected one private key, found {len(keys)}")
    try:
        key = serialization.load_pem_private_key(keys[0], password.encode() if password else None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{what}: the private key cannot be read (wrong ssl.key.password?): {exc}") from None
    certs = _pem_blocks(data, "CERTIFICATE")
    if not certs and need_chain:
        raise ConfigError(f"{what}: no certificate found next to the private key")
    return key, [x509.load_pem_x509_certificate(c) for c in certs]


def _trusted(config: BrokerConfig, listener: str) -> list[x509.Certificate]:
    def v(name: str) -> Any:
        return config.listener_value(listener, name)
    location, inline = v("ssl.truststore.location"), v("ssl.truststore.certificates")
    if inline:
        if location:
            raise ConfigError("give either ssl.truststore.location or ssl.truststore.certificates, not both")
        return [x509.load_pem_x509_certificate(c) for c in _pem_blocks(inline.encode(), "CERTIFICATE")]
    if not location:
        return []
    data = _read(location, "ssl.truststore.location")
    kind = _store_type(config, listener, "ssl.truststore.type", data, f"ssl.truststore.location {location}")
    if kind == "PEM":
        certs = [x509.load_pem_x509_certificate(c) for c in _pem_blocks(data, "CERTIFICATE")]
        if not certs:
            raise ConfigError(f"ssl.truststore.location {location}: no certificate found")
        return certs
    store = _load_pkcs12(data, v("ssl.truststore.password"), f"ssl.truststore.location {location}")
    return [c.certificate for c in store.additional_certs] + ([store.cert.certificate] if store.cert else [])


def server_context(config: BrokerConfig, listener: str) -> ssl.SSLContext:
    """The SSLContext of one TLS listener; ConfigError says which property is wrong."""
    key, chain = _key_and_chain(config, listener)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    protocols = config.listener_value(listener, "ssl.enabled.protocols")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2 if "TLSv1.2" in protocols else ssl.TLSVersion.TLSv1_3
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3 if "TLSv1.3" in protocols else ssl.TLSVersion.TLSv1_2
    ciphers = config.listener_value(listener, "ssl.cipher.suites")
    if ciphers:
        try:
            ctx.set_ciphers(":".join(ciphers))
        except ssl.SSLError as exc:
            raise ConfigError(f"ssl.cipher.suites: {exc.reason or exc}") from None
    _load_chain(ctx, key, chain)
    auth = config.listener_value(listener, "ssl.client.auth")
    trusted = _trusted(config, listener)
    if auth != "none":
        if not trusted:
            raise ConfigError(f"ssl.client.auth={auth} on listener {listener} needs ssl.truststore.location "
                              "(the CA that signs client certificates)")
        ctx.verify_mode = ssl.CERT_REQUIRED if auth == "required" else ssl.CERT_OPTIONAL
        ctx.load_verify_locations(cadata="".join(
            c.public_bytes(serialization.Encoding.PEM).decode() for c in trusted))
    return ctx


def _load_chain(ctx: ssl.SSLContext, key: Any, chain: list[x509.Certificate]) -> None:
    password = secrets.token_urlsafe(24)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(password.encode()))
    pem += b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    with tempfile.TemporaryDirectory(prefix="kw-tls-") as tmp:
        path = os.path.join(tmp, "key.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        try:
            ctx.load_cert_chain(path, password=password)
        except ssl.SSLError as exc:
            raise ConfigError(f"the TLS key and certificate do not match: {exc.reason or exc}") from None


# -- principals ----------------------------------------------------------------------

def distinguished_name(der: bytes) -> str:
    """A certificate's subject in RFC 2253 form, as Java's X500Principal.getName() prints it."""
    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


class PrincipalMapper:
    """ssl.principal.mapping.rules: DEFAULT, or RULE:pattern/replacement/[LU] entries tried in order."""

    _RULE = re.compile(r"\s*(DEFAULT|RULE:((?:\\.|[^\\/])*)/((?:\\.|[^\\/])*)/([LU]?))\s*(?:,|$)")

    def __init__(self, rules: str) -> None:
        self.rules: list[tuple[re.Pattern[str], str, str] | None] = []
        text = rules.strip() or "DEFAULT"
        pos = 0
        while pos < len(text):
            m = self._RULE.match(text, pos)
            if m is None or m.end() == pos:
                raise ConfigError(f"ssl.principal.mapping.rules: invalid rule at {text[pos:]!r}")
            if m.group(1) == "DEFAULT":
                self.rules.append(None)
            else:
                try:
                    pattern = re.compile(m.group(2))
                except re.error as exc:
                    raise ConfigError(f"ssl.principal.mapping.rules: {m.group(2)!r}: {exc}") from None
                replacement = re.sub(r"\$(\d)", r"\\\1", m.group(3))
                self.rules.append((pattern, replacement, m.group(4)))
            pos = m.end()

    def name(self, dn: str) -> str | None:
        for rule in self.rules:
            if rule is None:
                return dn
            pattern, replacement, case = rule
            if pattern.fullmatch(dn):
                out = pattern.sub(replacement, dn)
                return out.lower() if case == "L" else out.upper() if case == "U" else out
        return None


def peer_principal(ssl_object: Any, mapper: PrincipalMapper) -> str | None:
    """User:<mapped DN> of the client's certificate, User:ANONYMOUS without one, None when no rule applies."""
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if not der:
        return ANONYMOUS
    name = mapper.name(distinguished_name(der))
    return None if name is None else f"User:{name}"
