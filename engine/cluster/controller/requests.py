"""Requests brokers send to the controller, processed as controller events (KafkaController's
processAlterPartition, doControlledShutdown, processAllocateProducerIds).

AlterPartition (56): a leader's ISR change. Per partition, checked against the context in
Kafka's order: a newer partition or leader epoch than known -> NOT_CONTROLLER; an older
leader epoch -> FENCED_LEADER_EPOCH; the state already as asked -> success; an older
partition epoch -> INVALID_UPDATE_VERSION; RECOVERING with more than one ISR member, or
RECOVERED -> RECOVERING -> INVALID_REQUEST; an ISR member that is not a live broker
(shutting-down brokers are not) -> INELIGIBLE_REPLICA (KIP-841). The rest is written to the
state znodes (conditional on the partition epoch, fenced on the controller epoch), sent to
every broker in UpdateMetadata, and returned with the new partition epochs.

ControlledShutdown (7): the broker is marked shutting down; partitions it leads (with more
than one replica) get a new leader from the ISR; it stops following the others and leaves
their ISR. The answer lists the replicated partitions it still leads.

AllocateProducerIds (67): the next block of 1000 producer ids from
/latest_producer_id_block, claimed with a conditional write.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kio.schema.errors import ErrorCode

from engine.cluster.controller.machines import CONTROLLED_SHUTDOWN
from engine.cluster.controller.states import PartitionState, ReplicaState
from engine.cluster.znodes import RECOVERED, RECOVERING, LeaderAndIsr

if TYPE_CHECKING:
    from engine.cluster.controller.controller import KafkaController

log = logging.getLogger("engine.controller")


def alter_partition_not_controller() -> dict[str, Any]:
    return {"throttle_time": 0, "error_code": ErrorCode.not_controller, "topics": []}


def controlled_shutdown_not_controller() -> dict[str, Any]:
    return {"error_code": ErrorCode.not_controller, "remaining_partitions": []}


def allocate_not_controller() -> dict[str, Any]:
    return {"throttle_time": 0, "error_code": ErrorCode.not_controller, "producer_id_start": -1,
            "producer_id_len": 0}


def _part(index: int, error: ErrorCode, s: LeaderAndIsr | None = None) -> dict[str, Any]:
    if s is None:
        return {"partition_index": index, "error_code": error, "leader_id": -1, "leader_epoch": -1, "isr": [],
                "leader_recovery_state": 0, "partition_epoch": -1}
    return {"partition_index": index, "error_code": error, "leader_id": s.leader, "leader_epoch": s.leader_epoch,
            "isr": list(s.isr), "leader_recovery_state": s.recovery_state, "partition_epoch": s.partition_epoch}


async def alter_partition(c: KafkaController, req: Any) -> dict[str, Any]:
    ctx = c.ctx
    broker_id, broker_epoch = int(req.broker_id), int(req.broker_epoch)
    if ctx.broker_epoch(broker_id) == -1 or ctx.broker_epoch(broker_id) != broker_epoch:
        log.info("ignoring AlterPartition from broker %d: broker epoch %d, known %d", broker_id, broker_epoch,
                 ctx.broker_epoch(broker_id))
        return {"throttle_time": 0, "error_code": ErrorCode.stale_broker_epoch, "topics": []}
    names = {tid: name for name, tid in ctx.topic_ids.items()}
    topics_out = []
    changed = []
    for t in req.topics:
        name = names.get(t.topic_id)
        parts_out: list[dict[str, Any]] = []
        topics_out.append({"topic_id": t.topic_id, "partitions": parts_out})
        for pr in t.partitions:
            index = int(pr.partition_index)
            if name is None:
                parts_out.append(_part(index, ErrorCode.unknown_topic_id))
                continue
            tp = (name, index)
            isr = tuple(int(b.broker_id) for b in pr.new_isr_with_epochs)
            wanted = LeaderAndIsr(broker_id, int(pr.leader_epoch), isr, ctx.epoch, int(pr.partition_epoch),
                                  int(pr.leader_recovery_state))
            current = ctx.leadership.get(tp)
            error = _check(ctx.live_ids, wanted, current)
            if error is not None:
                log.info("AlterPartition of %s-%d from %d refused with %s (asked ISR %s at epochs %d/%d, now %s)", *tp,
                         broker_id, error.name, list(isr), wanted.leader_epoch, wanted.partition_epoch, current)
                parts_out.append(_part(index, error))
                continue
            assert current is not None
            if wanted.isr == current.isr and wanted.recovery_state == current.recovery_state:
                parts_out.append(_part(index, ErrorCode.none, current))
                continue
            version = await c.store.update_state(tp, wanted, current.partition_epoch)
            if version is None:
                parts_out.append(_part(index, ErrorCode.invalid_update_version))
                continue
            new = LeaderAndIsr(wanted.leader, wanted.leader_epoch, wanted.isr, ctx.epoch, version,
                               wanted.recovery_state)
            ctx.leadership[tp] = new
            changed.append(tp)
            log.info("ISR of %s-%d is now %s (partition epoch %d), asked by leader %d", *tp, list(new.isr), version,
                     broker_id)
            parts_out.append(_part(index, ErrorCode.none, new))
    if changed:
        batch = c.batch()
        batch.add_update_metadata(sorted(ctx.live_or_shutting_ids), changed)
        batch.send()
    return {"throttle_time": 0, "error_code": ErrorCode.none, "topics": topics_out}


def _check(live: set[int], wanted: LeaderAndIsr, current: LeaderAndIsr | None) -> ErrorCode | None:
    if current is None:
        return ErrorCode.unknown_topic_or_partition
    if wanted.partition_epoch > current.partition_epoch or wanted.leader_epoch > current.leader_epoch:
        return ErrorCode.not_controller
    if wanted.leader_epoch < current.leader_epoch:
        return ErrorCode.fenced_leader_epoch
    if wanted.leader == current.leader and wanted.isr == current.isr \
            and wanted.recovery_state == current.recovery_state:
        return None
    if wanted.partition_epoch < current.partition_epoch:
        return ErrorCode.invalid_update_version
    if wanted.recovery_state == RECOVERING and len(wanted.isr) > 1:
        return ErrorCode.invalid_request
    if current.recovery_state == RECOVERED and wanted.recovery_state == RECOVERING:
        return ErrorCode.invalid_request
    if set(wanted.isr) - live:
        return ErrorCode.ineligible_replica
    return None


async def controlled_shutdown(c: KafkaController, broker_id: int, broker_epoch: int) -> dict[str, Any]:
    ctx = c.ctx
    if broker_id not in ctx.live:
        return {"error_code": ErrorCode.broker_not_available, "remaining_partitions": []}
    if broker_epoch != -1 and broker_epoch < ctx.broker_epoch(broker_id):
        return {"error_code": ErrorCode.stale_broker_epoch, "remaining_partitions": []}
    ctx.shutting_down.add(broker_id)
    log.info("controlled shutdown of broker %d (shutting down: %s)", broker_id, sorted(ctx.shutting_down))
    act_on = [tp for tp in ctx.partitions_on([broker_id])
              if len(ctx.replicas(tp)) > 1 and tp in ctx.leadership and tp[0] not in ctx.topics_to_delete]
    led = [tp for tp in act_on if ctx.leadership[tp].leader == broker_id]
    followed = [tp for tp in act_on if tp not in led]
    batch = c.batch()
    await c.machines.partitions_to(batch, led, PartitionState.ONLINE, CONTROLLED_SHUTDOWN)
    for tp in followed:
        batch.add_stop_replica([broker_id], tp, delete=False)
    await c.machines.replicas_to(batch, [(t, p, broker_id) for t, p in followed], ReplicaState.OFFLINE)
    batch.send()
    remaining = [tp for tp in ctx.partitions_on([broker_id])
                 if len(ctx.replicas(tp)) > 1 and (lead := ctx.leadership.get(tp)) is not None
                 and lead.leader == broker_id]
    return {"error_code": ErrorCode.none,
            "remaining_partitions": [{"topic_name": t, "partition_index": p} for t, p in remaining]}


async def allocate_producer_ids(c: KafkaController, broker_id: int, broker_epoch: int) -> dict[str, Any]:
    if c.ctx.broker_epoch(broker_id) == -1 or (broker_epoch != -1 and broker_epoch != c.ctx.broker_epoch(broker_id)):
        return {"throttle_time": 0, "error_code": ErrorCode.stale_broker_epoch, "producer_id_start": -1,
                "producer_id_len": 0}
    start, count = await c.store.allocate_producer_ids(broker_id)
    log.info("producer ids %d-%d go to broker %d", start, start + count - 1, broker_id)
    return {"throttle_time": 0, "error_code": ErrorCode.none, "producer_id_start": start, "producer_id_len": count}
