"""What a secured Local broker needs: a CA of its own, a certificate for 127.0.0.1, and the admin's credentials.

Theory of operation: the first secured start makes `security/ca.pem` (a self-signed CA,
valid ten years) and `security/broker.pem` (its key in PKCS#8 followed by a certificate
for 127.0.0.1 and localhost, signed by that CA; mode 0600), and a random password for
the user `admin`, kept in the OS keyring by the caller. The broker learns the admin's
SCRAM credential from an argument file (argparse's @file, mode 0600) holding only the
salted form (`--add-scram SCRAM-SHA-256=[name=admin,salt=...,saltedpassword=...]`), so
no password is ever on a command line; the file is removed once the broker has stored the
credential. The broker's properties are Kafka's own: a SASL_SSL listener with SCRAM,
the PEM keystore, StandardAuthorizer with `super.users=User:admin`.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
import secrets
from pathlib import Path

ADMIN = "admin"
MECHANISM = "SCRAM-SHA-256"
ITERATIONS = 8192


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def ensure_pki(folder: Path) -> tuple[Path, Path]:
    """The CA certificate and the broker's PEM keystore, made on first use; (ca.pem, broker.pem)."""
    ca_path, broker_path = folder / "ca.pem", folder / "broker.pem"
    if ca_path.exists() and broker_path.exists():
        return ca_path, broker_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kafka Workbench Local CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    _write_private(broker_path, key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption())
                   + cert.public_bytes(pem) + ca.public_bytes(pem))
    ca_path.write_bytes(ca.public_bytes(pem))
    return ca_path, broker_path


def new_password() -> str:
    return secrets.token_urlsafe(18)


def scram_argument_file(folder: Path, password: str) -> Path:
    """An argparse @file with the admin's salted SCRAM credential (never the password itself)."""
    salt = secrets.token_bytes(24)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    path = folder / "admin-credential.args"
    _write_private(path, (f"--add-scram\n{MECHANISM}=[name={ADMIN},salt={base64.b64encode(salt).decode()},"
                          f"saltedpassword={base64.b64encode(salted).decode()},iterations={ITERATIONS}]\n").encode())
    return path


def broker_overrides(bootstrap: str, broker_pem: Path) -> dict[str, str]:
    listener = f"SASL_SSL://{bootstrap}"
    return {"listeners": listener, "advertised.listeners": listener,
            "sasl.enabled.mechanisms": "SCRAM-SHA-256,SCRAM-SHA-512",
            "ssl.keystore.type": "PEM", "ssl.keystore.location": str(broker_pem),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{ADMIN}", "allow.everyone.if.no.acl.found": "false"}
