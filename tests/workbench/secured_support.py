"""Profiles of the app for the secured test clusters (tests/components/secured.py)."""

from __future__ import annotations

from typing import Any

from tests.components.pki import KEY_PASSWORD, STORE_PASSWORD
from tests.components.secured import PROTOCOLS, USERS, SecuredCluster
from workbench.services.connection import ConnectionSpec


def app_spec(cluster: SecuredCluster, listener: str, user: str | None = None, mechanism: str = "SCRAM-SHA-256",
             password: str | None = None, cert: str | None = None, cert_form: str = "pem", trust_ca: bool = True,
             name: str | None = None, **kw: Any) -> ConnectionSpec:
    """A profile as a person would fill it in, for one listener of a secured test cluster."""
    protocol = PROTOCOLS.get(listener, listener)
    tls = protocol.endswith("SSL")
    fields: dict[str, Any] = {"name": name or f"{cluster.name} {listener} {user or cert or ''}".strip(),
                              "bootstrap": cluster.bootstrap(listener), "tls": tls}
    if user is not None:
        fields.update(sasl_mechanism=mechanism, sasl_username=user,
                      sasl_password=USERS[user] if password is None else password)
    if tls and trust_ca:
        fields["tls_ca_path"] = str(cluster.pki.ca_pem)
    if cert is not None:
        ident = cluster.pki.client(cert)
        if cert_form == "pem":
            fields.update(tls_cert_path=str(ident.cert_pem), tls_key_path=str(ident.key_pem_encrypted),
                          tls_key_password=KEY_PASSWORD)
        else:
            fields.update(tls_keystore_path=str(ident.p12), tls_keystore_password=STORE_PASSWORD)
    fields.update(kw)
    return ConnectionSpec(**fields)
