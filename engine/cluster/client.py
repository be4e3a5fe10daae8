"""A broker's client for the Kafka protocol to another broker: the controller's requests, follower fetches,
AlterPartition, ControlledShutdown, WriteTxnMarkers.

One connection per user and one request in flight on it (Kafka's controller sends one
request per broker at a time, a replica fetcher one fetch at a time). Requests are kio
entities built from dicts (engine.protocol.codec.build) and framed with request header v1
or v2 as the schema says; a failure of any kind closes the connection and raises
BrokerUnreachable, and the next request opens a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import struct
from collections.abc import Mapping
from typing import Any

from kio.serial import entity_reader, entity_writer

from engine.protocol.codec import build, request_class, response_class

_SIZE = struct.Struct(">i")
_HEADER = struct.Struct(">hhi")
MAX_RESPONSE = 256 * 1024 * 1024


class BrokerUnreachable(Exception):
    """The request could not be sent or answered (connection refused or lost, timeout, undecodable answer)."""


def encode_request(api_key: int, version: int, correlation_id: int, client_id: str,
                   body: Mapping[str, Any] | Any) -> bytes:
    cls = request_class(api_key, version)
    entity = body if isinstance(body, cls) else build(cls, body)
    header_version = cls.__header_schema__.__version__  # type: ignore[attr-defined]
    cid = client_id.encode()
    buf = io.BytesIO()
    buf.write(_HEADER.pack(api_key, version, correlation_id))
    buf.write(struct.pack(">h", len(cid)) + cid)
    if header_version >= 2:
        buf.write(b"\x00")  # no tagged fields
    write: Any = entity_writer(cls)
    write(buf, entity)
    payload = buf.getvalue()
    return _SIZE.pack(len(payload)) + payload


def decode_response(api_key: int, version: int, payload: bytes) -> Any:
    cls = response_class(api_key, version)
    offset = 4
    if cls.__header_schema__.__version__ >= 1:  # type: ignore[attr-defined]
        offset += 1  # tagged fields of the response header (none are sent)
    read: Any = entity_reader(cls)
    entity, _ = read(payload, offset)
    return entity


class BrokerClient:
    def __init__(self, host: str, port: int, client_id: str, timeout_s: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.client_id = client_id
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._correlation = 0
        self._lock = asyncio.Lock()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            try:
                self._reader, self._writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), min(self.timeout_s, 10.0))
            except (OSError, TimeoutError) as exc:
                raise BrokerUnreachable(f"cannot connect to {self.address}: {exc!r}") from exc
        assert self._reader is not None and self._writer is not None
        return self._reader, self._writer

    async def send(self, api_key: int, version: int, body: Mapping[str, Any] | Any,
                   timeout_s: float | None = None) -> Any:
        async with self._lock:
            try:
                return await asyncio.wait_for(self._round_trip(api_key, version, body),
                                              self.timeout_s if timeout_s is None else timeout_s)
            except BrokerUnreachable:
                self.close()
                raise
            except (OSError, EOFError, asyncio.IncompleteReadError, TimeoutError, ValueError, struct.error) as exc:
                self.close()
                raise BrokerUnreachable(f"request {api_key} v{version} to {self.address} failed: {exc!r}") from exc

    async def _round_trip(self, api_key: int, version: int, body: Mapping[str, Any] | Any) -> Any:
        reader, writer = await self._connect()
        self._correlation = (self._correlation + 1) & 0x7FFFFFFF
        cid = self._correlation
        writer.write(encode_request(api_key, version, cid, self.client_id, body))
        await writer.drain()
        (size,) = _SIZE.unpack(await reader.readexactly(4))
        if not 4 <= size <= MAX_RESPONSE:
            raise BrokerUnreachable(f"{self.address} answered a frame of {size} bytes")
        payload = await reader.readexactly(size)
        (got,) = _SIZE.unpack_from(payload, 0)
        if got != cid:
            raise BrokerUnreachable(f"{self.address} answered correlation id {got}, expected {cid}")
        try:
            return decode_response(api_key, version, payload)
        except Exception as exc:  # kio raises assorted errors on bytes it cannot read
            raise BrokerUnreachable(f"undecodable response {api_key} v{version} from {self.address}: {exc!r}") \
                from exc

    def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
