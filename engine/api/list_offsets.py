"""ListOffsets (2): earliest (-2), latest (-1), max timestamp (-3), earliest local (-4), latest tiered (-5),
or the first offset at a timestamp; v0 answers with Kafka's old list of segment offsets.

v0 (used by clients pinned to Kafka 0.10.0 and by older lag monitors) returns, as
Kafka 3.9's legacyFetchOffsetsBefore, up to max_num_offsets offsets, newest first:
the base offsets of the segments last modified at or before the timestamp, with the
log end (capped at the high watermark) for the latest. From v2, read_committed
clients get the last stable offset as the latest.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.api.fetch import READ_COMMITTED, leader_epoch_error
from engine.partition import Partition
from engine.protocol.codec import field

LATEST, EARLIEST, MAX_TIMESTAMP, EARLIEST_LOCAL, LATEST_TIERED = -1, -2, -3, -4, -5
MIN_VERSION = {EARLIEST: 1, LATEST: 1, MAX_TIMESTAMP: 7, EARLIEST_LOCAL: 8, LATEST_TIERED: 9}
CONSUMER = -1


def _v0(ctx: RequestContext, p: Partition, ts: int, max_num: int, from_consumer: bool) -> dict[str, Any]:
    if ts < EARLIEST:
        return {"error_code": ErrorCode.unsupported_version}
    offsets = p.log.legacy_offsets_before(ts, max_num, ctx.broker.now_ms())
    if from_consumer and any(o > p.high_watermark for o in offsets):
        hw = p.high_watermark
        offsets = [hw] + [o for o in offsets if o <= hw]
    return {"old_style_offsets": offsets}


def _v1(ctx: RequestContext, p: Partition, ts: int, committed: bool, replica: bool = False) -> dict[str, Any]:
    if ts < 0 and (ts not in MIN_VERSION or ctx.version < MIN_VERSION[ts]):
        return {"error_code": ErrorCode.unsupported_version}
    epoch = p.leader_epoch
    if ts == LATEST and replica:  # a follower asking (engine.cluster.fetcher): the log end, not the high watermark
        return {"offset": p.log.log_end_offset, "leader_epoch": epoch}
    if ts == LATEST:
        return {"offset": p.last_stable_offset if committed else p.high_watermark, "leader_epoch": epoch}
    if ts in (EARLIEST, EARLIEST_LOCAL):
        return {"offset": p.log_start_offset, "leader_epoch": epoch}
    if ts == LATEST_TIERED:
        return {"offset": -1, "leader_epoch": -1}  # no tiered storage
    limit = p.last_stable_offset if committed else p.high_watermark
    if ts == MAX_TIMESTAMP:
        found = p.log.max_timestamp_and_offset()
        if found is not None and found[1] < limit:
            return {"timestamp": found[0], "offset": found[1], "leader_epoch": epoch}
        return {}
    hit = p.log.offset_for_timestamp(ts)
    if hit is not None and hit[0] < limit:
        return {"offset": hit[0], "timestamp": hit[1], "leader_epoch": epoch}
    return {}


async def handle(ctx: RequestContext, req: Any) -> dict[str, Any]:
    committed = int(field(req, "isolation_level", 0)) == READ_COMMITTED
    from_consumer = int(req.replica_id) == CONSUMER
    counts = Counter((t.name, int(lp.partition_index)) for t in req.topics for lp in t.partitions)
    topics = []
    for t in req.topics:
        parts = []
        for lp in t.partitions:
            index = int(lp.partition_index)
            entry: dict[str, Any] = {"partition_index": index, "error_code": 0, "timestamp": -1,
                                     "offset": -1, "leader_epoch": -1, "old_style_offsets": []}
            parts.append(entry)
            p, missing = ctx.broker.leader_partition(t.name, index)
            if p is None:
                entry["error_code"] = missing
                continue
            if ctx.version >= 1 and counts[(t.name, index)] > 1:
                entry["error_code"] = ErrorCode.invalid_request
                continue
            err = leader_epoch_error(p, int(field(lp, "current_leader_epoch", -1)))
            if err is not None:
                entry["error_code"] = err
                continue
            ts = int(lp.timestamp)
            if ctx.version == 0:
                entry.update(_v0(ctx, p, ts, int(lp.max_num_offsets), from_consumer))
            else:
                entry.update(_v1(ctx, p, ts, committed, replica=int(req.replica_id) >= 0))
        topics.append({"name": t.name, "partitions": parts})
    return {"throttle_time": 0, "topics": topics}
