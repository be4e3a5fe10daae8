"""Fetch (1): read from the logs through fetch sessions, park until min bytes arrive or max wait passes.

- v0-3 expect the pre-0.11 message format: batches are down-converted as Kafka 3.9
  does (magic 0 for v0-1, magic 1 for v2-3; engine.storage.legacy_records).
- v4+ carry the isolation level: read_uncommitted reads up to the high watermark,
  read_committed up to the last stable offset, with the aborted transactions of the
  range so the client can drop their records.
- v7+ use fetch sessions (KIP-227, engine.fetch_session): an incremental fetch lists
  only changed partitions, and its response only partitions with news.
- v13+ name topics by id.
A parked fetch wakes as soon as any partition it reads gets new data, and answers
(empty if nothing came) when max wait passes.

In ZooKeeper mode only the leader serves fetches (NOT_LEADER_OR_FOLLOWER elsewhere). A
fetch with a replica id (v15+: in ReplicaState) is a follower's: it reads up to the log end
rather than the high watermark, is first checked for divergence (its LastFetchedEpoch ends
earlier in the leader's epoch cache than its fetch offset: no records, DivergingEpoch so it
truncates), and its fetch offset becomes its log end offset in the leader's bookkeeping
(engine.cluster.replica: ISR expansion, high watermark).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.broker import Broker
from engine.fetch_session import FetchContext, FetchPartition, PartitionKey
from engine.partition import Partition
from engine.protocol.codec import field, ms
from engine.storage import OffsetOutOfRangeError
from engine.storage.batch import HEADER_SIZE, parse_header
from engine.storage.compression import UnsupportedCodecError
from engine.storage.file_slice import FileSlice
from engine.storage.legacy_records import downconvert

READ_COMMITTED = 1
MAX_CONVERSION_READS = 64  # old clients: skip at most this many reads that convert to nothing (control batches)


def leader_epoch_error(p: Partition, current_leader_epoch: int) -> ErrorCode | None:
    if current_leader_epoch < 0 or current_leader_epoch == p.leader_epoch:
        return None
    if current_leader_epoch > p.leader_epoch:
        return ErrorCode.unknown_leader_epoch
    return ErrorCode.fenced_leader_epoch


def _requested(req: Any, by_id: bool) -> tuple[list[tuple[PartitionKey, FetchPartition]], list[PartitionKey]]:
    wanted: list[tuple[PartitionKey, FetchPartition]] = []
    for t in req.topics:
        name = t.topic_id if by_id else t.topic
        for fp in t.partitions:
            wanted.append(((name, int(fp.partition)), FetchPartition(
                int(fp.fetch_offset), int(fp.partition_max_bytes), int(field(fp, "current_leader_epoch", -1)),
                int(field(fp, "last_fetched_epoch", -1)), int(field(fp, "log_start_offset", -1)))))
    forgotten = [((t.topic_id if by_id else t.topic), int(i))
                 for t in field(req, "forgotten_topics_data", None) or () for i in t.partitions]
    return wanted, forgotten


def _resolve(broker: Broker, key: PartitionKey, by_id: bool) -> tuple[Partition | None, ErrorCode]:
    topic, index = key
    if by_id:
        rec = broker.topic_by_id(topic) if isinstance(topic, uuid.UUID) else None
        if rec is None:
            return None, ErrorCode.unknown_topic_id
        topic = rec.name
    return broker.leader_partition(topic, index)


def replica_id_of(req: Any, version: int) -> int:
    """The follower's broker id, or -1 for a consumer (v15+ carry it in the ReplicaState tagged field)."""
    if version >= 15:
        state = field(req, "replica_state", None)
        return int(state.replica_id) if state is not None else -1
    return int(field(req, "replica_id", -1))


class _Reader:
    """One pass over the partitions of a fetch: what each returns, the bytes in total, the partitions to watch."""

    def __init__(self, broker: Broker, version: int, isolation: int, max_bytes: int, replica_id: int = -1) -> None:
        self.broker = broker
        self.version = version
        self.isolation = isolation
        self.max_bytes = max_bytes
        self.replica_id = replica_id
        self.total = 0
        self.watched: list[Partition] = []

    def read(self, key: PartitionKey, want: FetchPartition) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "partition_index": key[1], "error_code": 0, "high_watermark": -1, "last_stable_offset": -1,
            "log_start_offset": -1, "aborted_transactions": None, "preferred_read_replica": -1, "records": b"",
            "records_size": 0}
        p, error = _resolve(self.broker, key, self.version >= 13)
        if p is None:
            entry["error_code"] = error
            return entry
        hw, lso = p.high_watermark, p.last_stable_offset
        entry.update(high_watermark=hw, last_stable_offset=lso, log_start_offset=p.log_start_offset)
        epoch_error = leader_epoch_error(p, want.current_leader_epoch)
        if epoch_error is not None:
            entry["error_code"] = epoch_error
            return entry
        follower = self.replica_id >= 0 and p.replication is not None
        if follower:
            assert p.replication is not None
            if self.replica_id not in p.replicas:
                entry["error_code"] = ErrorCode.not_leader_or_follower
                return entry
            if want.last_fetched_epoch >= 0:
                epoch, end = p.log.epochs.end_offset_for(want.last_fetched_epoch, p.log.log_end_offset)
                if epoch < 0:
                    entry["error_code"] = ErrorCode.offset_out_of_range
                    return entry
                if epoch < want.last_fetched_epoch or end < want.fetch_offset:
                    entry["diverging_epoch"] = {"epoch": epoch, "end_offset": end}
                    return entry
            p.replication.follower_fetched(self.replica_id, want.fetch_offset, want.log_start_offset)
            entry.update(high_watermark=p.high_watermark, last_stable_offset=p.last_stable_offset)
        self.watched.append(p)
        committed = self.isolation == READ_COMMITTED
        limit = p.log.log_end_offset if follower else (lso if committed else hw)
        budget = min(want.max_bytes, self.max_bytes - self.total)
        if budget <= 0 and self.total > 0:
            return entry
        first = self.total == 0
        try:
            if self.version <= 3:
                records: bytes | FileSlice = self._read_converted(p, want.fetch_offset, max(budget, 1), limit, first)
            else:
                data = p.log.read(want.fetch_offset, max(budget, 1), max_offset=limit, min_one_batch=first)
                records = data.file_slice if data.file_slice is not None else b""
        except OffsetOutOfRangeError:
            entry["error_code"] = ErrorCode.offset_out_of_range
            return entry
        except UnsupportedCodecError:
            entry["error_code"] = ErrorCode.unsupported_compression_type
            return entry
        except _DownConversionDisabled:
            entry["error_code"] = ErrorCode.unsupported_version
            return entry
        size = len(records) if isinstance(records, bytes) else records.length
        if committed:
            entry["aborted_transactions"] = [
                {"producer_id": pid, "first_offset": first_offset}
                for pid, first_offset in p.aborted_transactions(want.fetch_offset, limit)] if size else []
        entry["records"] = records
        entry["records_size"] = size
        self.total += size
        return entry

    def _read_converted(self, p: Partition, offset: int, budget: int, limit: int, first: bool) -> bytes:
        if not self.broker.topic_config_value(p.topic, "message.downconversion.enable"):
            raise _DownConversionDisabled
        magic = 0 if self.version <= 1 else 1
        start = offset
        for _ in range(MAX_CONVERSION_READS):
            raw = p.log.read(offset, budget, max_offset=limit, min_one_batch=True).records
            if not raw:
                return b""
            converted = downconvert(raw, magic, start, budget if not first else max(budget, 1))
            if converted:
                return converted
            offset = _next_offset(raw)
            if offset < 0 or offset >= limit:
                return b""
        return b""


class _DownConversionDisabled(Exception):
    pass


def _next_offset(raw: bytes) -> int:
    """The offset after the last whole batch of raw bytes (-1 if none is whole)."""
    pos, nxt = 0, -1
    while pos + HEADER_SIZE <= len(raw):
        h = parse_header(raw, pos)
        if pos + h.size > len(raw):
            break
        nxt = h.last_offset + 1
        pos += h.size
    return nxt


def release(results: list[tuple[PartitionKey, dict[str, Any]]]) -> None:
    """Close the file slices of results that will not be sent."""
    for _key, part in results:
        records = part["records"]
        if isinstance(records, FileSlice):
            records.close()


def _topics(results: list[tuple[PartitionKey, dict[str, Any]]], by_id: bool) -> list[dict[str, Any]]:
    """Partition results grouped by topic in order, as Kafka's FetchResponse.of does."""
    topics: list[dict[str, Any]] = []
    for (topic, _index), part in results:
        if not topics or topics[-1]["_key"] != topic:
            topics.append({"_key": topic, ("topic_id" if by_id else "topic"): topic, "partitions": []})
        topics[-1]["partitions"].append(part)
    return topics


async def handle(ctx: RequestContext, req: Any) -> dict[str, Any]:
    broker = ctx.broker
    version = ctx.version
    by_id = version >= 13
    wanted, forgotten = _requested(req, by_id)
    fctx: FetchContext = broker.fetch_sessions.new_context(
        int(field(req, "session_id", 0)), int(field(req, "session_epoch", -1)), wanted, forgotten, by_id,
        broker.now_ms())
    if fctx.kind == "error":
        return {"throttle_time": 0, "error_code": fctx.error, "session_id": 0, "responses": []}
    max_bytes = min(int(field(req, "max_bytes", 0x7FFFFFFF)), int(broker.config["fetch.max.bytes"]))
    isolation = int(field(req, "isolation_level", 0))
    min_bytes = int(req.min_bytes)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ms(req.max_wait) / 1000.0
    replica_id = replica_id_of(req, version)
    while True:
        reader = _Reader(broker, version, isolation, max_bytes, replica_id)
        results = [(key, reader.read(key, want)) for key, want in fctx.partitions]
        remaining = deadline - loop.time()
        if reader.total >= min_bytes or remaining <= 0 or not reader.watched:
            break
        release(results)
        waiters = [asyncio.ensure_future(p.data_event().wait()) for p in reader.watched]
        try:
            await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
    session_id, selected = broker.fetch_sessions.respond(fctx, results, broker.now_ms())
    if len(selected) != len(results):
        chosen = {id(part) for _key, part in selected}
        release([(k, part) for k, part in results if id(part) not in chosen])
    return {"throttle_time": 0, "error_code": 0, "session_id": session_id, "responses": _topics(selected, by_id)}
