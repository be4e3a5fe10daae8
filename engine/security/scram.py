"""SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677): credentials as Kafka stores them, and the server side.

A credential is what the server keeps instead of the password:
    salted = Hi(password, salt, iterations)          (PBKDF2 with HMAC-SHA-*)
    stored_key = H(HMAC(salted, "Client Key"))
    server_key = HMAC(salted, "Server Key")
and Kafka writes it as the string `salt=<b64>,stored_key=<b64>,server_key=<b64>,iterations=<n>`
(ScramCredentialUtils), under the user's config key `SCRAM-SHA-256` or `SCRAM-SHA-512`.
AlterUserScramCredentials sends the salt and the salted password, never the password.

The exchange, sans-IO (`ScramServer.evaluate(token) -> token`):
    client-first  n,[a=authzid],n=<user>,r=<client nonce>[,ext=...]
    server-first  r=<client nonce><server nonce>,s=<b64 salt>,i=<iterations>
    client-final  c=<b64 gs2 header>,r=<nonce>[,ext=...],p=<b64 proof>
    server-final  v=<b64 server signature>
The client proves it knows the salted password: proof = ClientKey XOR HMAC(StoredKey, AuthMessage),
and the server checks H(proof XOR HMAC(StoredKey, AuthMessage)) == StoredKey.
Failures answer with Kafka's own sentences.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable

from engine.security.sasl_errors import SaslFailure, generic_failure


@dataclasses.dataclass(frozen=True)
class ScramMechanism:
    name: str
    type_code: int  # AlterUserScramCredentials / DescribeUserScramCredentials mechanism byte
    hash_name: str
    min_iterations: int = 4096
    max_iterations: int = 16384

    def digest(self, data: bytes) -> bytes:
        return hashlib.new(self.hash_name, data).digest()

    def hmac(self, key: bytes, data: bytes) -> bytes:
        return hmac.new(key, data, self.hash_name).digest()

    def salted_password(self, password: str, salt: bytes, iterations: int) -> bytes:
        return hashlib.pbkdf2_hmac(self.hash_name, password.encode(), salt, iterations)


MECHANISMS = {m.name: m for m in (ScramMechanism("SCRAM-SHA-256", 1, "sha256"),
                                   ScramMechanism("SCRAM-SHA-512", 2, "sha512"))}
BY_TYPE = {m.type_code: m for m in MECHANISMS.values()}


@dataclasses.dataclass(frozen=True)
class ScramCredential:
    salt: bytes
    stored_key: bytes
    server_key: bytes
    iterations: int

    def to_kafka_string(self) -> str:
        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode()
        return (f"salt={b64(self.salt)},stored_key={b64(self.stored_key)},server_key={b64(self.server_key)},"
                f"iterations={self.iterations}")

    @classmethod
    def from_kafka_string(cls, text: str) -> ScramCredential:
        props = {}
        for token in text.split(","):
            key, sep, value = token.partition("=")
            if not sep or not key:
                raise ValueError(f"Credentials not valid: {text}")
            props[key] = value
        if set(props) != {"salt", "stored_key", "server_key", "iterations"}:
            raise ValueError(f"Credentials not valid: {text}")
        return cls(base64.b64decode(props["salt"]), base64.b64decode(props["stored_key"]),
                   base64.b64decode(props["server_key"]), int(props["iterations"]))


def credential_from_salted(mech: ScramMechanism, salt: bytes, salted: bytes, iterations: int) -> ScramCredential:
    client_key = mech.hmac(salted, b"Client Key")
    return ScramCredential(salt, mech.digest(client_key), mech.hmac(salted, b"Server Key"), iterations)


def credential_from_password(mech: ScramMechanism, password: str, iterations: int = 4096,
                             salt: bytes | None = None) -> ScramCredential:
    salt = salt if salt is not None else secrets.token_bytes(32)
    return credential_from_salted(mech, salt, mech.salted_password(password, salt, iterations), iterations)


_SASLNAME = r"(?:[\x01-\x2B\x2D-\x3C\x3E-\x7F]|=2C|=3D)+"
_PRINTABLE = r"[\x21-\x2B\x2D-\x7E]+"
_VALUE = r"[\x01-\x2B\x2D-\x3C\x3E-\x7F]+"
_EXTENSIONS = rf"(?:,[A-Za-z]+={_VALUE})*"
_CLIENT_FIRST = re.compile(rf"n,(?:a=(?P<authzid>{_SASLNAME}))?,(?:m={_VALUE},)?n=(?P<saslname>{_SASLNAME}),"
                           rf"r=(?P<nonce>{_PRINTABLE})(?P<extensions>{_EXTENSIONS})")
_CLIENT_FINAL = re.compile(rf"c=(?P<channel>[A-Za-z0-9+/=]*),r=(?P<nonce>{_PRINTABLE})"
                           rf"(?P<extensions>{_EXTENSIONS}),p=(?P<proof>[A-Za-z0-9+/=]+)")


def username(saslname: str) -> str:
    return saslname.replace("=2C", ",").replace("=3D", "=")


class ScramServer:
    """One SCRAM exchange; `lookup(user)` gives the stored credential (or None)."""

    def __init__(self, mech: ScramMechanism, lookup: Callable[[str], ScramCredential | None],
                 reauthenticating: bool = False) -> None:
        self.mech = mech
        self.mechanism = mech.name
        self.lookup = lookup
        self.reauthenticating = reauthenticating
        self.state = "first"
        self.complete = False
        self.authorization_id = ""
        self._credential: ScramCredential | None = None
        self._client_first_bare = ""
        self._server_first = ""
        self._nonce = ""

    def _fail(self, cause: str) -> SaslFailure:
        self.state = "failed"
        return generic_failure(self.mechanism, self.reauthenticating, cause)

    def evaluate(self, token: bytes) -> bytes:
        if self.state == "first":
            return self._first(token)
        if self.state == "final":
            return self._final(token)
        raise self._fail(f"Unexpected challenge in Sasl server state {self.state}")

    def _first(self, token: bytes) -> bytes:
        try:
            text = token.decode()
        except UnicodeDecodeError:
            raise self._fail("Invalid SCRAM client first message format") from None
        m = _CLIENT_FIRST.fullmatch(text)
        if m is None:
            raise self._fail("Invalid SCRAM client first message format")
        user = username(m.group("saslname"))
        credential = self.lookup(user)
        if credential is None:
            raise self._fail("Authentication failed: Invalid user credentials")
        authzid = m.group("authzid")
        if authzid and username(authzid) != user:
            self.state = "failed"
            raise SaslFailure("Authentication failed: Client requested an authorization id that is different "
                              "from username")
        if credential.iterations < self.mech.min_iterations:
            raise self._fail(f"Iterations {credential.iterations} is less than the minimum "
                             f"{self.mech.min_iterations} for {self.mechanism}")
        self._credential = credential
        self.authorization_id = user
        self._client_first_bare = text.split(",", 2)[2]  # without the GS2 header "n,[a=...],"
        self._nonce = m.group("nonce") + secrets.token_urlsafe(24)
        self._server_first = (f"r={self._nonce},s={base64.b64encode(credential.salt).decode()},"
                              f"i={credential.iterations}")
        self.state = "final"
        return self._server_first.encode()

    def _final(self, token: bytes) -> bytes:
        assert self._credential is not None
        try:
            text = token.decode()
        except UnicodeDecodeError:
            raise self._fail("Invalid SCRAM client final message format") from None
        m = _CLIENT_FINAL.fullmatch(text)
        if m is None:
            raise self._fail("Invalid SCRAM client final message format")
        if m.group("nonce") != self._nonce:
            raise self._fail("Invalid client nonce in the final client message.")
        without_proof = text[:text.rindex(",p=")]
        auth_message = f"{self._client_first_bare},{self._server_first},{without_proof}".encode()
        try:
            proof = base64.b64decode(m.group("proof"), validate=True)
        except binascii.Error:
            raise self._fail("Invalid client proof") from None
        signature = self.mech.hmac(self._credential.stored_key, auth_message)
        if len(proof) != len(signature):
            raise self._fail("Invalid client credentials")
        client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
        if not hmac.compare_digest(self.mech.digest(client_key), self._credential.stored_key):
            raise self._fail("Invalid client credentials")
        server_signature = self.mech.hmac(self._credential.server_key, auth_message)
        self._credential = None
        self.state = "complete"
        self.complete = True
        return b"v=" + base64.b64encode(server_signature)
