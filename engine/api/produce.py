"""Produce (0): validate each partition's record batch, apply idempotence, append, acknowledge.

Produce v0-2 carry the pre-0.11 message format (magic 0 or 1): such a message set
is up-converted to one v2 batch first, as Kafka 3.9 does. From v3 a request must
carry exactly one v2 batch per partition; zstd needs v7.

In ZooKeeper mode only the partition's leader appends (NOT_LEADER_OR_FOLLOWER elsewhere),
and acks=all (-1) answers once the ISR has the records (engine.cluster.replica): every
partition of the request waits, together, at most the request's timeout.
"""

from __future__ import annotations

import asyncio
from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import CloseConnection, RequestContext
from engine.protocol.codec import field, ms
from engine.storage import CorruptRecordError, InvalidRecordError, validate_produce_batches
from engine.storage.compression import ZSTD
from engine.storage.legacy_records import is_legacy, upconvert
from engine.storage.records import decode_records


def _part(index: int, code: ErrorCode, message: str | None = None, base_offset: int = -1,
          log_append_time: int = -1, log_start_offset: int = -1) -> dict[str, Any]:
    return {"index": index, "error_code": code, "base_offset": base_offset,
            "log_append_time": log_append_time, "log_start_offset": log_start_offset,
            "record_errors": [], "error_message": message}


async def handle(ctx: RequestContext, req: Any) -> dict[str, Any] | None:
    broker = ctx.broker
    acks = int(req.acks)
    now = broker.now_ms()
    responses = []
    failed = False
    waits = []
    for topic in req.topic_data:
        parts = []
        for pd in topic.partition_data:
            result = _produce_partition(ctx, topic.name, int(pd.index), pd.records, acks, now,
                                        field(req, "transactional_id"))
            p = broker.partition(topic.name, int(pd.index))
            if p is not None and result["error_code"] == ErrorCode.none:
                await broker.flush_if_due(p)
                if acks == -1 and p.replication is not None:
                    waits.append((p, result))
            failed |= result["error_code"] != ErrorCode.none
            parts.append(result)
        responses.append({"name": topic.name, "partition_responses": parts})
    if waits:
        await _wait_for_isr(waits, ms(req.timeout) / 1000)
    if acks == 0:
        if failed:
            raise CloseConnection("acks=0 produce failed")
        return None
    return {"responses": responses, "throttle_time": 0}


async def _wait_for_isr(waits: list[tuple[Any, dict[str, Any]]], timeout_s: float) -> None:
    """acks=all in ZooKeeper mode: each appended partition answers once its high watermark passes the append."""
    async def one(p: Any, result: dict[str, Any]) -> None:
        code = await p.replication.wait_for_acks(result.pop("_end_offset"), timeout_s)
        if code is not ErrorCode.none:
            result.update(error_code=code, error_message=f"{code.name} waiting for the ISR of {p.name}")
    await asyncio.gather(*(one(p, r) for p, r in waits))


def _produce_partition(ctx: RequestContext, topic: str, index: int, records: bytes | None, acks: int,
                       now: int, transactional_id: str | None) -> dict[str, Any]:
    broker = ctx.broker
    if acks not in (0, 1, -1):
        return _part(index, ErrorCode.invalid_required_acks)
    p, missing = broker.leader_partition(topic, index)
    if p is None:
        return _part(index, missing)
    if not records:
        return _part(index, ErrorCode.corrupt_message, "Produce request carries no records")
    try:
        if is_legacy(records):
            if ctx.version >= 3:
                raise InvalidRecordError(f"Produce v{ctx.version} must carry record batches of magic 2")
            records = upconvert(records)
        batches = validate_produce_batches(records)
    except CorruptRecordError as exc:
        return _part(index, ErrorCode.corrupt_message, str(exc))
    except InvalidRecordError as exc:
        return _part(index, ErrorCode.invalid_record, str(exc))
    if len(batches) != 1:
        return _part(index, ErrorCode.invalid_record,
                     f"A produce request must carry exactly one record batch per partition, got {len(batches)}")
    batch = batches[0]
    if batch.compression == ZSTD and ctx.version < 7:
        return _part(index, ErrorCode.unsupported_compression_type, "zstd needs Produce v7 or later")
    max_bytes = p.log.config.max_message_bytes
    if batch.size > max_bytes:
        return _part(index, ErrorCode.message_too_large,
                     f"The record batch is {batch.size} bytes, larger than max.message.bytes={max_bytes}")
    if batch.is_transactional:
        assert broker.txn is not None
        err = broker.txn.verify(transactional_id or "", batch.producer_id, batch.producer_epoch, (topic, index))
        if err is not ErrorCode.none:
            return _part(index, err, f"{err.name}: the partition is not in producer {batch.producer_id}'s "
                                     "transaction")
    if batch.is_control:
        return _part(index, ErrorCode.invalid_record, "Clients may not produce control batches")
    if p.log.config.compact:
        try:
            keyless = any(r.key is None for r in decode_records(bytes(records)))
        except Exception as exc:  # records that do not decode are corrupt
            return _part(index, ErrorCode.corrupt_message, f"record batch cannot be decoded: {exc}")
        if keyless:
            return _part(index, ErrorCode.invalid_record,
                         f"Compacted topic cannot accept message without key in topic partition {topic}-{index}.")
    if acks == -1:
        min_isr = int(broker.topic_config_value(topic, "min.insync.replicas"))
        if p.replication is not None:
            min_isr = p.replication.effective_min_isr()
        if len(p.isr) < min_isr:
            return _part(index, ErrorCode.not_enough_replicas,
                         f"The size of the current ISR {sorted(p.isr)} is insufficient to satisfy the min.isr "
                         f"requirement of {min_isr} for partition {topic}-{index}")
    result = p.append(records, batches, now)
    out = _part(index, result.error, result.message, result.base_offset, result.log_append_time,
                result.log_start_offset)
    if result.error == ErrorCode.none and acks == -1 and p.replication is not None:
        out["_end_offset"] = result.base_offset + batch.last_offset_delta + 1
    return out
