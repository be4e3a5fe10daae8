"""The network side: one asyncio task per connection, requests answered one at a time, in order.

Like Kafka, a connection's requests are processed in the order they arrive and
each response is written before the next request is handled, so pipelined
requests get their responses in request order (a parked Fetch delays a Metadata
request sent after it on the same connection, as in Kafka). This module is the
single error boundary: a malformed frame, an unknown API or version, or a failing
handler closes that connection only, and the broker keeps serving the others.

Security (engine/security) sits at two points of this loop: each connection gets a
Channel from its listener (TLS is done by asyncio before the connection is handed
over; a failed handshake never reaches this module), which says which requests may
come before SASL authentication is complete; and every decoded request passes the
authorization gates before its handler, which may answer for it or trim it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import struct
from typing import Any

from engine.aio import cancel_and_wait
from engine.api.context import CloseConnection, RequestContext
from engine.api.routes import API_VERSIONS_KEY, BY_KEY, api_version_list
from engine.broker import Broker
from engine.protocol.codec import UnsupportedRequest, decode_request, encode_response, peek_header
from engine.protocol.framing import FrameDecoder, FrameError
from engine.security import gates
from engine.security.broker_security import BrokerSecurity
from engine.security.channel import AuthenticationClosed, Channel
from engine.security.listeners import Listener
from engine.security.tls_transport import start_tls_server

log = logging.getLogger("engine.server")

READ_CHUNK = 256 * 1024
UNSUPPORTED_VERSION = 35
TLS_HANDSHAKE_TIMEOUT_S = 10.0


TLS_SLICE_PIECE = 1 << 20


async def _write_slice(writer: asyncio.StreamWriter, fd: int, position: int, length: int) -> None:
    end = position + length
    while position < end:
        data = os.pread(fd, min(TLS_SLICE_PIECE, end - position), position)
        if not data:
            raise ConnectionError(f"the segment ended {end - position} bytes before the fetched slice")
        writer.write(data)
        position += len(data)
        await writer.drain()


class KafkaServer:
    def __init__(self, broker: Broker, security: BrokerSecurity | None = None) -> None:
        self.broker = broker
        self._security = security
        self.servers: list[asyncio.Server] = []
        self.connections: set[asyncio.Task[None]] = set()

    @property
    def security(self) -> BrokerSecurity:
        if self._security is None:  # listeners from the config, no stored ACLs or users
            self._security = BrokerSecurity.open(self.broker.config, None)
        return self._security

    async def start(self) -> list[tuple[str, int]]:
        bound = []
        for listener in self.security.listeners:
            tls = self.security.tls.get(listener.name)
            callback = functools.partial(self._on_connect, listener)
            if tls is None:
                server = await asyncio.start_server(callback, listener.host or None, listener.port,
                                                    reuse_address=True, limit=READ_CHUNK)
            else:
                server = await start_tls_server(callback, listener.host or None, listener.port, tls, READ_CHUNK,
                                                TLS_HANDSHAKE_TIMEOUT_S)
            self.servers.append(server)
            for sock in server.sockets:
                addr = sock.getsockname()
                bound.append((str(addr[0]), int(addr[1])))
            first = server.sockets[0].getsockname()
            self.security.bound(listener.name, listener.host or str(first[0]), int(first[1]))
        return bound

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
        await cancel_and_wait(*self.connections)
        for server in self.servers:
            await server.wait_closed()

    async def _on_connect(self, listener: Listener, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        peer = writer.get_extra_info("peername")
        peer_s = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        try:
            channel = self.security.channel(listener, str(peer[0]) if isinstance(peer, tuple) else peer_s,
                                            writer.get_extra_info("ssl_object"))
            if channel is None:
                log.info("closing connection from %s: no ssl.principal.mapping.rules rule applies to its "
                         "certificate", peer_s)
                return
            await self._serve(reader, writer, peer_s, channel)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        except Exception:  # the boundary: whatever went wrong ends this connection only
            log.exception("closing connection from %s after an unexpected error", peer_s)
        finally:
            self.connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str,
                     channel: Channel) -> None:
        max_frame = int(self.broker.config["socket.request.max.bytes"])
        decoder = FrameDecoder(channel.frame_limit(max_frame))
        while True:
            chunk = await reader.read(READ_CHUNK)
            if not chunk:
                return
            decoder.max_frame_bytes = channel.frame_limit(max_frame)  # small until SASL authentication completes
            try:
                frames = decoder.feed(chunk)
            except FrameError as exc:
                log.warning("closing connection from %s: %s", peer, exc)
                return
            for frame in frames:
                try:
                    chunks = await self.dispatch(frame, peer, channel)
                except CloseConnection as exc:
                    log.info("closing connection from %s: %s", peer, exc)
                    return
                if channel.close_after_response:  # failed authentication: answer late, then close
                    await asyncio.sleep(channel.response_delay)
                if chunks:
                    await self._send(writer, chunks)
                if channel.close_after_response:
                    log.info("closing connection from %s after failed authentication", peer)
                    return

    async def _send(self, writer: asyncio.StreamWriter, chunks: list[Any]) -> None:
        """Write one response: bytes as they are, file slices by sendfile where the transport allows."""
        try:
            size = sum(len(c) if isinstance(c, bytes) else c.length for c in chunks)
            writer.write(struct.pack(">i", size))
            loop = asyncio.get_running_loop()
            tls = writer.get_extra_info("ssl_object") is not None
            for chunk in chunks:
                if isinstance(chunk, bytes):
                    writer.write(chunk)
                    continue
                await writer.drain()
                if tls:  # the bytes go through Python's TLS anyway: read them in pieces, no sendfile
                    await _write_slice(writer, chunk.fd, chunk.position, chunk.length)
                    continue
                with open(chunk.fd, "rb", buffering=0, closefd=False) as f:
                    sent = await loop.sendfile(writer.transport, f, chunk.position, chunk.length)
                if sent != chunk.length:
                    raise ConnectionError(f"sendfile sent {sent} of {chunk.length} bytes")
            await writer.drain()
        finally:
            for chunk in chunks:
                if not isinstance(chunk, bytes):
                    chunk.close()

    async def dispatch(self, frame: bytes, peer: str, channel: Channel | None = None) -> list[Any] | None:
        """One request frame to its response chunks. Without a channel (in-process callers, tests) nothing is
        authenticated or authorized; every network connection has one."""
        try:
            if channel is not None and channel.raw_tokens:  # after SaslHandshake v0: bare SASL tokens
                return [channel.raw_token(frame)]
            api_key, version, correlation_id = peek_header(frame)
            route = BY_KEY.get(api_key)
            supported = route is not None and route.min_version <= version <= route.max_version
            if channel is not None:
                channel.admit(api_key, supported)
        except UnsupportedRequest as exc:
            raise CloseConnection(str(exc)) from None
        except AuthenticationClosed as exc:
            raise CloseConnection(str(exc)) from None
        if route is None:
            raise CloseConnection(f"unknown api key {api_key}")
        if not supported:
            if api_key == API_VERSIONS_KEY:
                # Answer in v0 with UNSUPPORTED_VERSION and our range, so the client retries lower.
                return [encode_response(API_VERSIONS_KEY, 0, correlation_id, {
                    "error_code": UNSUPPORTED_VERSION, "api_keys": api_version_list(), "throttle_time": 0})]
            raise CloseConnection(f"unsupported version {version} of {route.name}")
        try:
            header, request = decode_request(frame)
        except UnsupportedRequest as exc:
            raise CloseConnection(str(exc)) from None
        except Exception as exc:  # kio raises assorted errors on malformed bytes
            raise CloseConnection(f"malformed {route.name} v{version} request: {exc!r}") from None
        ctx = RequestContext(self.broker, header, peer, channel, self._security if channel is None else self.security)
        try:
            if channel is None:
                decision = gates.Decision(request)
            else:
                authz = gates.Authz(self.security.authorizer, channel.principal, channel.peer_host, self.broker)
                decision = gates.check(authz, api_key, version, request)
            if decision.respond is not None:
                body: Any = decision.respond
            else:
                body = await route.handler(ctx, decision.request)
                if decision.after is not None:
                    body = decision.after(body)
        except CloseConnection:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("%s v%d from %s failed", route.name, version, peer)
            raise CloseConnection(f"{route.name} handler failed: {exc!r}") from exc
        if body is None:
            return None
        try:
            if route.encoder is not None:
                return route.encoder(version, correlation_id, body)
            return [encode_response(api_key, version, correlation_id, body)]
        except Exception as exc:
            log.exception("%s v%d response for %s could not be encoded", route.name, version, peer)
            raise CloseConnection(f"{route.name} response encoding failed: {exc!r}") from exc
