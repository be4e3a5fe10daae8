"""TLS listeners whose failed handshakes end with an alert the client can read, as a Java broker's do.

asyncio's TLS transport drops the alert OpenSSL writes when a handshake fails (no
client certificate, an untrusted one, garbage instead of a ClientHello): the peer
only sees the connection close. Kafka's clients then report "connection closed"
instead of "certificate required". `AlertingSSLProtocol` flushes that alert before
the connection is closed (and, when the client did not speak TLS at all, the
internal_error alert a Java broker sends), and closes the connection without a reset
that would lose the alert; everything else is asyncio's own SSLProtocol. It relies on
internals of asyncio.sslproto (Python 3.11+); where they are missing the listener
falls back to asyncio's plain TLS server, without the alerts.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from asyncio import sslproto
from collections.abc import Awaitable, Callable
from typing import Any

_HOOKS = ("_do_handshake", "_process_outgoing", "_on_handshake_complete", "_fatal_error", "buffer_updated")
FATAL_INTERNAL_ERROR = bytes.fromhex("15030300020250")
LINGER_S = 5.0  # alert record, TLS 1.2 framing: fatal (2), internal_error (80)
SUPPORTED = all(hasattr(sslproto.SSLProtocol, name) for name in _HOOKS)

ClientCallback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class AlertingSSLProtocol(sslproto.SSLProtocol):
    """After a failed handshake: the alert, then a lingering close. Closing a socket that still holds unread bytes
    (a TLS 1.3 client sends its first request right after its Finished) sends a reset, and a reset makes the
    client drop the alert it had not read yet; so the write side is shut first (FIN after the alert), what the
    client still sends is read and discarded, and the socket closes at the client's EOF or after LINGER_S."""

    _lingering = False

    def _fatal_error(self, exc: BaseException, message: str = "Fatal error on transport") -> None:
        obj: Any = self
        transport = obj._transport
        if self._lingering or transport is None or not isinstance(exc, ssl.SSLError):
            super()._fatal_error(exc, message)
            return
        self._lingering = True
        try:
            transport.write_eof()
        except Exception:  # the peer is gone already
            transport.close()
            return
        obj._loop.call_later(LINGER_S, transport.close)

    def buffer_updated(self, nbytes: int) -> None:
        if self._lingering:
            obj: Any = self
            obj._incoming.read()  # discarded: the connection is over
            return
        super().buffer_updated(nbytes)

    def _do_handshake(self) -> None:
        obj: Any = self
        try:
            obj._sslobj.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            obj._process_outgoing()
        except ssl.SSLError as exc:
            with contextlib.suppress(Exception):
                if obj._outgoing.pending:
                    obj._process_outgoing()  # the alert saying why
                else:  # OpenSSL sends none for bytes that are not TLS at all; Kafka's JVM says internal_error
                    obj._transport.write(FATAL_INTERNAL_ERROR)
            obj._on_handshake_complete(exc)
        else:
            obj._on_handshake_complete(None)


async def start_tls_server(callback: ClientCallback, host: str | None, port: int, context: ssl.SSLContext,
                           limit: int, handshake_timeout: float) -> asyncio.Server:
    if not SUPPORTED:
        return await asyncio.start_server(callback, host, port, reuse_address=True, limit=limit, ssl=context,
                                          ssl_handshake_timeout=handshake_timeout)
    loop = asyncio.get_running_loop()

    def factory() -> asyncio.BaseProtocol:
        reader = asyncio.StreamReader(limit=limit, loop=loop)
        app = asyncio.StreamReaderProtocol(reader, callback, loop=loop)
        no_waiter: Any = None  # nobody awaits the handshake: the app protocol hears of the connection when it is up
        return AlertingSSLProtocol(loop, app, context, no_waiter, server_side=True,
                                   ssl_handshake_timeout=int(handshake_timeout))
    return await loop.create_server(factory, host, port, reuse_address=True)
