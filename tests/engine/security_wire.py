"""Raw-socket attempts against a secured broker, each reduced to what the client observed (for parity and bad input).

Each attempt opens one connection, does one wrong thing, and returns a short outcome:
the Kafka error a response carried (with "+closed" when the broker then closed the
connection), "closed" when the broker closed without a Kafka answer, or "tls:<reason>"
when the TLS handshake or the first read failed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import ssl
import struct

from kio.schema.errors import ErrorCode

from tests.components.secured import SecuredCluster

TIMEOUT = 10.0


def frame(api_key: int, version: int, cid: int, body: bytes, client: bytes = b"bad-input") -> bytes:
    payload = struct.pack(">hhih", api_key, version, cid, len(client)) + client + body
    return struct.pack(">i", len(payload)) + payload


def kstring(s: str) -> bytes:
    raw = s.encode()
    return struct.pack(">h", len(raw)) + raw


def kbytes(b: bytes) -> bytes:
    return struct.pack(">i", len(b)) + b


def tls_context(cluster: SecuredCluster, cert: str | None = None, rogue: bool = False) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cluster.pki.ca_pem))
    if rogue:
        ident = cluster.pki.rogue_client
        ctx.load_cert_chain(str(ident.cert_pem), str(ident.key_pem))
    elif cert is not None:
        ident = cluster.pki.client(cert)
        ctx.load_cert_chain(str(ident.cert_pem), str(ident.key_pem))
    return ctx


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, address: str, ctx: ssl.SSLContext | None = None) -> Conn:
        host, port = address.rsplit(":", 1)
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            host, int(port), ssl=ctx, server_hostname=host if ctx else None), TIMEOUT)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await asyncio.wait_for(self.writer.drain(), TIMEOUT)

    async def response(self) -> bytes | None:
        """The next response frame, or None when the broker closed the connection."""
        try:
            head = await asyncio.wait_for(self.reader.readexactly(4), TIMEOUT)
            return await asyncio.wait_for(self.reader.readexactly(struct.unpack(">i", head)[0]), TIMEOUT)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None

    async def closed(self) -> bool:
        try:
            return await asyncio.wait_for(self.reader.read(1), TIMEOUT) == b""
        except (ConnectionError, ssl.SSLError):
            return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):  # a refused connection may end with an error: it is closed either way
            await asyncio.wait_for(self.writer.wait_closed(), TIMEOUT)


def _error(code: int) -> str:
    return ErrorCode(code).name.upper()


async def _handshake(conn: Conn, mechanism: str) -> tuple[int, list[str]]:
    await conn.send(frame(17, 1, 1, kstring(mechanism)))
    data = await conn.response()
    assert data is not None, "no SaslHandshake answer"
    code, count = struct.unpack_from(">hi", data, 4)
    pos, mechs = 10, []
    for _ in range(count):
        (n,) = struct.unpack_from(">h", data, pos)
        mechs.append(data[pos + 2:pos + 2 + n].decode())
        pos += 2 + n
    return code, mechs


async def _authenticate(conn: Conn, token: bytes, cid: int) -> tuple[int, str | None, bytes] | None:
    await conn.send(frame(36, 1, cid, kbytes(token)))
    data = await conn.response()
    if data is None:
        return None
    (code,) = struct.unpack_from(">h", data, 4)
    (n,) = struct.unpack_from(">h", data, 6)
    message = None if n < 0 else data[8:8 + n].decode()
    pos = 8 + max(n, 0)
    (blen,) = struct.unpack_from(">i", data, pos)
    return code, message, data[pos + 4:pos + 4 + max(blen, 0)]


async def wrong_scram_password(cluster: SecuredCluster, listener: str = "SASL_SSL") -> str:
    conn = await Conn.open(cluster.bootstrap(listener), tls_context(cluster) if listener == "SASL_SSL" else None)
    try:
        code, _ = await _handshake(conn, "SCRAM-SHA-256")
        assert code == 0
        nonce = base64.b64encode(os.urandom(12)).decode()
        first = await _authenticate(conn, f"n,,n=alice,r={nonce}".encode(), 2)
        assert first is not None and first[0] == 0, first
        fields = dict(f.split("=", 1) for f in first[2].decode().split(","))
        salted = hashlib.pbkdf2_hmac("sha256", b"not-her-password", base64.b64decode(fields["s"]), int(fields["i"]))
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        final_bare = f"c=biws,r={fields['r']}"
        auth = f"n=alice,r={nonce},{first[2].decode()},{final_bare}".encode()
        sig = hmac.new(hashlib.sha256(client_key).digest(), auth, "sha256").digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig, strict=True))).decode()
        final = await _authenticate(conn, f"{final_bare},p={proof}".encode(), 3)
        if final is None:
            return "closed"
        return f"{_error(final[0])}: {final[1]}" + ("+closed" if await conn.closed() else "")
    finally:
        await conn.close()


async def wrong_plain_password(cluster: SecuredCluster, listener: str = "SASL_PLAINTEXT") -> str:
    conn = await Conn.open(cluster.bootstrap(listener), tls_context(cluster) if listener == "SASL_SSL" else None)
    try:
        code, _ = await _handshake(conn, "PLAIN")
        assert code == 0
        answer = await _authenticate(conn, b"\0alice\0wrong", 2)
        if answer is None:
            return "closed"
        return f"{_error(answer[0])}: {answer[1]}" + ("+closed" if await conn.closed() else "")
    finally:
        await conn.close()


async def unknown_mechanism(cluster: SecuredCluster, listener: str = "SASL_PLAINTEXT") -> str:
    conn = await Conn.open(cluster.bootstrap(listener), tls_context(cluster) if listener == "SASL_SSL" else None)
    try:
        code, mechs = await _handshake(conn, "GSSAPI")
        return f"{_error(code)} {sorted(mechs)}" + ("+closed" if await conn.closed() else "")
    finally:
        await conn.close()


async def sasl_before_handshake(cluster: SecuredCluster, listener: str = "SASL_PLAINTEXT") -> str:
    conn = await Conn.open(cluster.bootstrap(listener), tls_context(cluster) if listener == "SASL_SSL" else None)
    try:
        answer = await _authenticate(conn, b"\0alice\0alice-secret", 1)
        return "closed" if answer is None else f"answered {_error(answer[0])}"
    finally:
        await conn.close()


async def metadata_before_authenticating(cluster: SecuredCluster, listener: str = "SASL_PLAINTEXT") -> str:
    conn = await Conn.open(cluster.bootstrap(listener))
    try:
        await conn.send(frame(3, 1, 1, struct.pack(">i", 0)))
        return "closed" if await conn.response() is None else "answered"
    finally:
        await conn.close()


async def _tls_attempt(cluster: SecuredCluster, ctx: ssl.SSLContext, listener: str = "SSL") -> str:
    try:
        conn = await Conn.open(cluster.bootstrap(listener), ctx)
    except (ssl.SSLError, ConnectionError) as exc:
        return f"tls:{_tls_reason(exc)}"
    try:
        try:
            await conn.send(frame(18, 0, 1, b""))
        except ssl.SSLError as exc:  # the alert came before the request went out
            return f"tls:{_tls_reason(exc)}"
        except ConnectionError:
            pass  # the alert that ended the connection is what the reader reports
        try:
            data = await asyncio.wait_for(conn.reader.read(4), TIMEOUT)
        except (ssl.SSLError, ConnectionError) as exc:
            return f"tls:{_tls_reason(exc)}"
        return "closed" if not data else "answered"
    finally:
        await conn.close()


# TLS alerts about the client's certificate. Java (Kafka) and OpenSSL (the engine) pick different ones for the
# same refusal: no certificate is bad_certificate to Java and certificate_required to OpenSSL; an untrusted one is
# certificate_unknown to Java and unknown_ca to OpenSSL. The client learns the same thing: its certificate was refused.
CERTIFICATE_ALERTS = frozenset({"TLSV13_ALERT_CERTIFICATE_REQUIRED", "SSLV3_ALERT_BAD_CERTIFICATE",
                                "SSLV3_ALERT_CERTIFICATE_UNKNOWN", "TLSV1_ALERT_UNKNOWN_CA"})


def _tls_reason(exc: BaseException) -> str:
    reason = str(getattr(exc, "reason", None) or type(exc).__name__)
    if reason in CERTIFICATE_ALERTS:
        return "certificate refused"
    return "alert" if "ALERT" in reason else "closed"


def _classify(data: bytes) -> str:
    """What a non-TLS client read from a TLS port: nothing, or a TLS alert record (content type 21)."""
    if not data:
        return "closed"
    return "tls alert" if data[:1] == b"\x15" else "answered"


async def tls_without_certificate(cluster: SecuredCluster) -> str:
    return await _tls_attempt(cluster, tls_context(cluster))


async def tls_untrusted_certificate(cluster: SecuredCluster) -> str:
    return await _tls_attempt(cluster, tls_context(cluster, rogue=True))


async def _read_all(conn: Conn) -> bytes:
    data = b""
    try:
        while len(data) < 4096:
            chunk = await asyncio.wait_for(conn.reader.read(4096), TIMEOUT)
            if not chunk:
                break
            data += chunk
    except ConnectionError:
        pass
    return data


async def plaintext_on_tls_port(cluster: SecuredCluster, listener: str = "SSL") -> str:
    conn = await Conn.open(cluster.bootstrap(listener))
    try:
        await conn.send(frame(18, 0, 1, b""))
        return _classify(await _read_all(conn))
    finally:
        await conn.close()


async def garbage_in_tls_handshake(cluster: SecuredCluster, listener: str = "SASL_SSL", seed: int = 0) -> str:
    conn = await Conn.open(cluster.bootstrap(listener))
    try:
        rnd = os.urandom(200) if seed == 0 else bytes((seed * 7 + i * 13) & 0xFF for i in range(200))
        # a TLS record header claiming a handshake, then junk
        await conn.send(b"\x16\x03\x01\x00\xc8" + rnd)
        return _classify(await _read_all(conn))
    finally:
        await conn.close()


ATTEMPTS = {
    "wrong SCRAM password (SASL_SSL)": wrong_scram_password,
    "wrong PLAIN password (SASL_PLAINTEXT)": wrong_plain_password,
    "unknown mechanism": unknown_mechanism,
    "SASL frame before the handshake": sasl_before_handshake,
    "Metadata before authenticating": metadata_before_authenticating,
    "plaintext client on the TLS port": plaintext_on_tls_port,
    "TLS client without a certificate where one is required": tls_without_certificate,
    "TLS client with an untrusted certificate": tls_untrusted_certificate,
    "garbage during the TLS handshake": garbage_in_tls_handshake,
}
