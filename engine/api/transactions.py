"""AddPartitionsToTxn (24), AddOffsetsToTxn (25), EndTxn (26), TxnOffsetCommit (28), DescribeProducers (61),
DescribeTransactions (65), ListTransactions (66): the transaction coordinator's and the partitions' side.

AddPartitionsToTxn v4+ batch several transactions (a broker's verify-only form); v0-3
carry one. The rest maps onto engine.coordinator.txn_coordinator and the group
coordinator's transactional offset commits.
"""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.api.group_membership import coordinator as groups
from engine.coordinator.offsets_topic import OFFSETS_TOPIC
from engine.coordinator.txn_coordinator import TransactionCoordinator
from engine.protocol.codec import field


def txn(ctx: RequestContext) -> TransactionCoordinator:
    assert ctx.broker.txn is not None
    return ctx.broker.txn


def _add(ctx: RequestContext, tid: str, pid: int, epoch: int, topics: Any, verify_only: bool) -> list[dict[str, Any]]:
    wanted = [(t.name, int(p)) for t in topics for p in t.partitions]
    unknown = {tp for tp in wanted if ctx.broker.partition(*tp) is None}
    if unknown:
        codes = {tp: ErrorCode.unknown_topic_or_partition if tp in unknown else ErrorCode.operation_not_attempted
                 for tp in wanted}
    elif verify_only:
        codes = {tp: txn(ctx).verify(tid, pid, epoch, tp) for tp in wanted}
    else:
        err = txn(ctx).add_partitions(tid, pid, epoch, set(wanted))
        codes = dict.fromkeys(wanted, err)
    return [{"name": t.name, "results_by_partition": [
        {"partition_index": int(p), "partition_error_code": codes[(t.name, int(p))]} for p in t.partitions]}
        for t in topics]


async def add_partitions_to_txn(ctx: RequestContext, req: Any) -> dict[str, Any]:
    if ctx.version <= 3:
        results = _add(ctx, req.v3_and_below_transactional_id, int(req.v3_and_below_producer_id),
                       int(req.v3_and_below_producer_epoch), req.v3_and_below_topics, False)
        return {"throttle_time": 0, "results_by_topic_v3_and_below": results}
    out = [{"transactional_id": t.transactional_id,
            "topic_results": _add(ctx, t.transactional_id, int(t.producer_id), int(t.producer_epoch), t.topics,
                                  bool(t.verify_only))} for t in req.transactions]
    return {"throttle_time": 0, "error_code": 0, "results_by_transaction": out}


async def add_offsets_to_txn(ctx: RequestContext, req: Any) -> dict[str, Any]:
    broker = ctx.broker
    assert broker.journal is not None
    broker.journal.ensure_topic()
    partition = (OFFSETS_TOPIC, broker.journal.partition_of(req.group_id))
    err = txn(ctx).add_partitions(req.transactional_id, int(req.producer_id), int(req.producer_epoch), {partition})
    return {"throttle_time": 0, "error_code": err}


async def end_txn(ctx: RequestContext, req: Any) -> dict[str, Any]:
    err = txn(ctx).end_txn(req.transactional_id, int(req.producer_id), int(req.producer_epoch), bool(req.committed))
    return {"throttle_time": 0, "error_code": err}


async def txn_offset_commit(ctx: RequestContext, req: Any) -> dict[str, Any]:
    entries = [(t.name, int(p.partition_index), int(p.committed_offset),
                int(field(p, "committed_leader_epoch", -1)), p.committed_metadata)
               for t in req.topics for p in t.partitions]
    md = txn(ctx).txns.get(req.transactional_id)
    if md is None or md.producer_id != int(req.producer_id):
        results = [ErrorCode.invalid_producer_id_mapping] * len(entries)
    elif md.producer_epoch != int(req.producer_epoch):
        results = [ErrorCode.producer_fenced if ctx.version >= 2 else ErrorCode.invalid_producer_epoch] * len(entries)
    else:
        results = groups(ctx).txn_commit(req.group_id, int(req.producer_id), int(req.producer_epoch),
                                         int(field(req, "generation_id", -1)), field(req, "member_id", "") or "",
                                         field(req, "group_instance_id"), entries)
    it = iter(results)
    return {"throttle_time": 0, "topics": [
        {"name": t.name, "partitions": [{"partition_index": p.partition_index, "error_code": next(it)}
                                        for p in t.partitions]} for t in req.topics]}


async def describe_transactions(ctx: RequestContext, req: Any) -> dict[str, Any]:
    return {"throttle_time": 0, "transaction_states": [txn(ctx).describe(t) for t in req.transactional_ids]}


async def list_transactions(ctx: RequestContext, req: Any) -> dict[str, Any]:
    states, unknown = txn(ctx).list(set(field(req, "state_filters", ()) or ()),
                                    {int(p) for p in field(req, "producer_id_filters", ()) or ()},
                                    int(field(req, "duration_filter", -1)))
    return {"throttle_time": 0, "error_code": 0, "unknown_state_filters": unknown, "transaction_states": states}


async def describe_producers(ctx: RequestContext, req: Any) -> dict[str, Any]:
    topics = []
    for t in req.topics:
        parts = []
        for index in t.partition_indexes:
            p = ctx.broker.partition(t.name, int(index))
            if p is None:
                parts.append({"partition_index": index, "error_code": ErrorCode.unknown_topic_or_partition,
                              "error_message": None, "active_producers": []})
            else:
                parts.append({"partition_index": index, "error_code": 0, "error_message": None,
                              "active_producers": p.active_producers()})
        topics.append({"name": t.name, "partitions": parts})
    return {"throttle_time": 0, "topics": topics}
