"""Certificates for one test session: a CA, a broker certificate for 127.0.0.1/localhost, client certificates.

Made with the `cryptography` package into a temporary directory, in the forms Kafka and
its clients read: PEM (PKCS#8 key followed by the certificate chain), an encrypted PEM
key, and PKCS#12 bundles. A second CA signs a client certificate no broker trusts.
EC P-256 keys keep generation fast (a few milliseconds each).
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

STORE_PASSWORD = "store-secret"
KEY_PASSWORD = "key-secret"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _pem_key(key: ec.EllipticCurvePrivateKey, password: str | None = None) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


@dataclasses.dataclass(frozen=True)
class Identity:
    """One certificate with its key, written as files."""

    name: str
    cert_pem: Path  # the certificate alone
    key_pem: Path  # unencrypted PKCS#8
    key_pem_encrypted: Path  # PKCS#8 encrypted with KEY_PASSWORD
    bundle_pem: Path  # key + certificate + CA: a Kafka PEM keystore (ssl.keystore.type=PEM)
    p12: Path  # PKCS#12 with STORE_PASSWORD

    @property
    def principal(self) -> str:
        return f"User:CN={self.name}"


@dataclasses.dataclass(frozen=True)
class Pki:
    root: Path
    ca_pem: Path
    ca_p12: Path  # a PKCS#12 truststore holding the CA certificate
    broker: Identity
    clients: dict[str, Identity]
    rogue_ca_pem: Path
    rogue_client: Identity  # signed by a CA nobody trusts

    def client(self, name: str) -> Identity:
        return self.clients[name]


class _Issuer:
    def __init__(self, cn: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                  content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False, encipher_only=False,
                                                  decipher_only=False), critical=True)
                     .sign(self.key, hashes.SHA256()))

    def issue(self, root: Path, cn: str, server: bool) -> Identity:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(self.cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                         ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        base = root / cn
        paths = {s: base.with_name(f"{cn}{s}") for s in (".crt", "-key.pem", "-key-enc.pem", ".pem", ".p12")}
        paths[".crt"].write_bytes(_pem_cert(cert))
        paths["-key.pem"].write_bytes(_pem_key(key))
        paths["-key-enc.pem"].write_bytes(_pem_key(key, KEY_PASSWORD))
        paths[".pem"].write_bytes(_pem_key(key) + _pem_cert(cert) + _pem_cert(self.cert))
        paths[".p12"].write_bytes(pkcs12.serialize_key_and_certificates(
            cn.encode(), key, cert, [self.cert], serialization.BestAvailableEncryption(STORE_PASSWORD.encode())))
        for p in paths.values():
            p.chmod(0o600)
        return Identity(cn, paths[".crt"], paths["-key.pem"], paths["-key-enc.pem"], paths[".pem"], paths[".p12"])


def make_pki(root: Path, clients: tuple[str, ...] = ("admin", "alice", "bob")) -> Pki:
    root.mkdir(parents=True, exist_ok=True)
    ca = _Issuer("Kafka Workbench Test CA")
    ca_pem = root / "ca.pem"
    ca_pem.write_bytes(_pem_cert(ca.cert))
    ca_p12 = root / "truststore.p12"
    ca_p12.write_bytes(pkcs12.serialize_key_and_certificates(
        None, None, None, [ca.cert], serialization.BestAvailableEncryption(STORE_PASSWORD.encode())))
    rogue = _Issuer("Somebody Else's CA")
    rogue_dir = root / "rogue"
    rogue_dir.mkdir()
    rogue_pem = rogue_dir / "ca.pem"
    rogue_pem.write_bytes(_pem_cert(rogue.cert))
    return Pki(root, ca_pem, ca_p12, ca.issue(root, "broker", server=True),
               {c: ca.issue(root, c, server=False) for c in clients}, rogue_pem,
               rogue.issue(rogue_dir, "mallory", server=False))
