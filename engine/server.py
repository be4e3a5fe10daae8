"""The network side: one asyncio task per connection, requests answered one at a time, in order.

Like Kafka, a connection's requests are processed in the order they arrive and
each response is written before the next request is handled, so pipelined
requests get their responses in request order (a parked Fetch delays a Metadata
request sent after it on the same connection, as in Kafka). This module is the
single error boundary: a malformed frame, an unknown API or version, or a failing
handler closes that connection only, and the broker keeps serving the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from typing import Any

from engine.aio import cancel_and_wait
from engine.api.context import CloseConnection, RequestContext
from engine.api.routes import API_VERSIONS_KEY, BY_KEY, api_version_list
from engine.broker import Broker
from engine.protocol.codec import UnsupportedRequest, decode_request, encode_response, peek_header
from engine.protocol.framing import FrameDecoder, FrameError

log = logging.getLogger("engine.server")

READ_CHUNK = 256 * 1024
UNSUPPORTED_VERSION = 35


class KafkaServer:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.servers: list[asyncio.Server] = []
        self.connections: set[asyncio.Task[None]] = set()

    async def start(self) -> list[tuple[str, int]]:
        bound = []
        for _name, host, port in self.broker.config.listeners:
            server = await asyncio.start_server(self._on_connect, host or None, port,
                                                reuse_address=True, limit=READ_CHUNK)
            self.servers.append(server)
            for sock in server.sockets:
                addr = sock.getsockname()
                bound.append((str(addr[0]), int(addr[1])))
        return bound

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
        await cancel_and_wait(*self.connections)
        for server in self.servers:
            await server.wait_closed()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        peer = writer.get_extra_info("peername")
        peer_s = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        try:
            await self._serve(reader, writer, peer_s)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self.connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str) -> None:
        decoder = FrameDecoder(int(self.broker.config["socket.request.max.bytes"]))
        while True:
            chunk = await reader.read(READ_CHUNK)
            if not chunk:
                return
            try:
                frames = decoder.feed(chunk)
            except FrameError as exc:
                log.warning("closing connection from %s: %s", peer, exc)
                return
            for frame in frames:
                try:
                    chunks = await self.dispatch(frame, peer)
                except CloseConnection as exc:
                    log.info("closing connection from %s: %s", peer, exc)
                    return
                if chunks:
                    await self._send(writer, chunks)

    async def _send(self, writer: asyncio.StreamWriter, chunks: list[Any]) -> None:
        """Write one response: bytes as they are, file slices by sendfile where the transport allows."""
        try:
            size = sum(len(c) if isinstance(c, bytes) else c.length for c in chunks)
            writer.write(struct.pack(">i", size))
            loop = asyncio.get_running_loop()
            for chunk in chunks:
                if isinstance(chunk, bytes):
                    writer.write(chunk)
                    continue
                await writer.drain()
                with open(chunk.fd, "rb", buffering=0, closefd=False) as f:
                    sent = await loop.sendfile(writer.transport, f, chunk.position, chunk.length)
                if sent != chunk.length:
                    raise ConnectionError(f"sendfile sent {sent} of {chunk.length} bytes")
            await writer.drain()
        finally:
            for chunk in chunks:
                if not isinstance(chunk, bytes):
                    chunk.close()

    async def dispatch(self, frame: bytes, peer: str) -> list[Any] | None:
        try:
            api_key, version, correlation_id = peek_header(frame)
        except UnsupportedRequest as exc:
            raise CloseConnection(str(exc)) from None
        route = BY_KEY.get(api_key)
        if route is None:
            raise CloseConnection(f"unknown api key {api_key}")
        if not route.min_version <= version <= route.max_version:
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
        ctx = RequestContext(self.broker, header, peer)
        try:
            body: Any = await route.handler(ctx, request)
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
