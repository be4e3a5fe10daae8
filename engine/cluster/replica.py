"""A partition's replication on this broker (Kafka's Partition and Replica): its role, and as leader its
followers' fetch state, the ISR and the high watermark.

Leader rules, as Kafka 3.9's:

- A follower's log end offset is the offset of its latest fetch; it is caught up when that
  reaches the leader's log end, or did within replica.lag.time.max.ms (lastCaughtUpTime moves
  to the time of a fetch at the leader's end, or to the previous fetch's time when this fetch
  reaches the leader's end as of that previous fetch).
- High watermark = the smallest log end offset of the leader and of every follower in the
  maximal ISR (the ISR plus a pending addition) or caught up and alive (about to join); it
  never goes down, and does not move while the ISR is smaller than min(min.insync.replicas,
  replicas) (KAFKA-15583).
- A follower joins the ISR when its log end offset reaches the high watermark and the start
  of the current leader epoch; an ISR follower that is not caught up leaves it (checked every
  replica.lag.time.max.ms / 2). The leader never removes itself, and only one ISR change is
  in flight at a time: it goes to the controller as AlterPartition
  (engine.cluster.alter_partition), and the ISR changes here only when the controller's
  answer (or a LeaderAndIsr) says so.
- acks=all: an append is acknowledged once the high watermark passes it; if the ISR is then
  below min.insync.replicas the answer is NOT_ENOUGH_REPLICAS_AFTER_APPEND; losing the
  leadership meanwhile answers NOT_LEADER_OR_FOLLOWER, and the request's timeout
  REQUEST_TIMED_OUT.
- Becoming leader at a new leader epoch records (epoch -> log end offset) in the epoch cache
  first (KIP-279), so followers that hold records of a later epoch find where to truncate.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kio.schema.errors import ErrorCode

from engine.cluster.znodes import RECOVERED

if TYPE_CHECKING:
    from engine.partition import Partition

log = logging.getLogger("engine.replication")


@dataclasses.dataclass
class FollowerState:
    leo: int = -1
    log_start: int = -1
    last_caught_up_ms: int = 0
    last_fetch_ms: int = 0
    last_fetch_leader_leo: int = -1

    def is_caught_up(self, leader_leo: int, now_ms: int, lag_ms: int) -> bool:
        return leader_leo == self.leo or now_ms - self.last_caught_up_ms <= lag_ms

    def update(self, fetch_offset: int, log_start: int, now_ms: int, leader_leo: int) -> None:
        if fetch_offset >= leader_leo:
            self.last_caught_up_ms = max(self.last_caught_up_ms, now_ms)
        elif fetch_offset >= self.last_fetch_leader_leo:
            self.last_caught_up_ms = max(self.last_caught_up_ms, self.last_fetch_ms)
        self.log_start = log_start
        self.leo = fetch_offset
        self.last_fetch_leader_leo = leader_leo
        self.last_fetch_ms = now_ms


@dataclasses.dataclass(frozen=True)
class PartitionStateUpdate:
    """A LeaderAndIsr partition state, or an AlterPartition answer."""

    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    partition_epoch: int
    replicas: tuple[int, ...]
    controller_epoch: int
    recovery_state: int = RECOVERED


IsrProposal = Callable[["ReplicaSet", tuple[int, ...]], None]


class ReplicaSet:
    def __init__(self, partition: Partition, topic_id: uuid.UUID, *, lag_ms: int,
                 min_isr: Callable[[], int], alive: Callable[[int], bool], propose_isr: IsrProposal,
                 clock: Callable[[], float] = time.time) -> None:
        self.p = partition
        self.topic_id = topic_id
        self.lag_ms = lag_ms
        self.min_isr = min_isr
        self.alive = alive
        self.propose_isr = propose_isr
        self.clock = clock
        self.partition_epoch = -1
        self.controller_epoch = -1
        self.recovery_state = RECOVERED
        self.epoch_start_offset: int | None = None  # on a leader: where its epoch started
        self.followers: dict[int, FollowerState] = {}
        self.pending_isr: tuple[int, ...] | None = None  # an AlterPartition in flight
        self.online = True  # False once StopReplica took it out of service
        self._changed = asyncio.Event()

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- role changes (LeaderAndIsr) ----------------------------------------------------------
    def make_leader(self, s: PartitionStateUpdate) -> bool:
        """Become (or stay) leader; False when the state is older than what is known."""
        p = self.p
        if s.partition_epoch < self.partition_epoch:
            return False
        self.controller_epoch = s.controller_epoch
        was_leader = p.is_leader and self.online
        new_epoch = s.leader_epoch > p.leader_epoch or not was_leader
        p.replicas = list(s.replicas)
        p.isr = list(s.isr)
        self.recovery_state = RECOVERED
        self.pending_isr = None
        self.online = True
        now = self.now_ms()
        if new_epoch:
            start = p.log.log_end_offset
            p.log.epochs.assign(s.leader_epoch, start)
            self.epoch_start_offset = start
            self.followers = {}
            for r in s.replicas:
                if r == p.node_id:
                    continue
                f = FollowerState(last_caught_up_ms=now if r in s.isr else 0)
                if not was_leader:
                    f.leo = -1
                self.followers[r] = f
            log.info("%s: leader at epoch %d from offset %d, ISR %s, high watermark %d", p.name, s.leader_epoch,
                     start, list(s.isr), p.high_watermark)
        for r in s.replicas:
            if r != p.node_id and r not in self.followers:
                self.followers[r] = FollowerState()
        self.partition_epoch = s.partition_epoch
        p.leader = p.node_id
        p.leader_epoch = s.leader_epoch
        if p.hw is None:
            p.hw = min(p.log.log_end_offset, max(p.log_start_offset, 0))
        self.maybe_increment_hw()
        self.signal()
        return True

    def make_follower(self, s: PartitionStateUpdate) -> bool:
        """Follow s.leader; True when the fetcher must (re)start (a new leader epoch, or leader before)."""
        p = self.p
        if s.partition_epoch < self.partition_epoch:
            return False
        was_leader = p.is_leader
        new_epoch = s.leader_epoch > p.leader_epoch or was_leader or not self.online
        self.controller_epoch = s.controller_epoch
        p.leader = s.leader
        p.leader_epoch = s.leader_epoch
        p.replicas = list(s.replicas)
        p.isr = list(s.isr)
        self.recovery_state = s.recovery_state
        self.partition_epoch = s.partition_epoch
        self.epoch_start_offset = None
        self.followers = {}
        self.pending_isr = None
        self.online = True
        if p.hw is None:
            p.hw = 0
        self.signal()
        return new_epoch

    def go_offline(self) -> None:
        """StopReplica: no longer leader or follower here (the log stays unless deleted)."""
        self.online = False
        self.p.leader = -1
        self.followers = {}
        self.pending_isr = None
        self.signal()

    def apply_isr(self, leader_epoch: int, isr: tuple[int, ...], partition_epoch: int, recovery_state: int) -> None:
        """The controller accepted an ISR change."""
        p = self.p
        self.pending_isr = None
        if leader_epoch != p.leader_epoch or partition_epoch < self.partition_epoch or not p.is_leader:
            log.info("%s: ignoring the controller's ISR %s at leader epoch %d, partition epoch %d (now %d, %d)",
                     p.name, list(isr), leader_epoch, partition_epoch, p.leader_epoch, self.partition_epoch)
            return
        p.isr = list(isr)
        self.partition_epoch = partition_epoch
        self.recovery_state = recovery_state
        log.info("%s: ISR is now %s (partition epoch %d)", p.name, list(isr), partition_epoch)
        self.maybe_increment_hw()
        self.signal()

    def isr_change_failed(self) -> None:
        self.pending_isr = None

    # -- the leader's bookkeeping -------------------------------------------------------------
    @property
    def leading(self) -> bool:
        return self.p.is_leader and self.online

    @property
    def maximal_isr(self) -> set[int]:
        isr = set(self.p.isr)
        if self.pending_isr is not None:
            isr |= set(self.pending_isr)
        return isr

    def effective_min_isr(self) -> int:
        return min(self.min_isr(), len(self.p.replicas))

    def under_min_isr(self) -> bool:
        return len(self.p.isr) < self.effective_min_isr()

    def after_leader_append(self) -> None:
        self.maybe_increment_hw()

    def follower_fetched(self, replica_id: int, fetch_offset: int, log_start: int) -> None:
        """A follower fetched at fetch_offset: its log end is that; maybe the ISR grows and the HW moves."""
        f = self.followers.get(replica_id)
        if f is None or not self.leading:
            return
        p = self.p
        f.update(fetch_offset, log_start, self.now_ms(), p.log.log_end_offset)
        self._maybe_expand_isr(replica_id, f)
        self.maybe_increment_hw()

    def _maybe_expand_isr(self, replica_id: int, f: FollowerState) -> None:
        p = self.p
        if self.pending_isr is not None or replica_id in p.isr or not self.alive(replica_id):
            return
        if f.leo >= p.high_watermark and self.epoch_start_offset is not None and f.leo >= self.epoch_start_offset:
            new_isr = (*p.isr, replica_id)
            log.info("%s: follower %d caught up (offset %d): proposing ISR %s", p.name, replica_id, f.leo,
                     list(new_isr))
            self.pending_isr = new_isr
            self.propose_isr(self, new_isr)

    def maybe_increment_hw(self) -> bool:
        p = self.p
        if not self.leading or self.under_min_isr():
            return False
        leo = p.log.log_end_offset
        now = self.now_ms()
        new_hw = leo
        maximal = self.maximal_isr
        for r, f in self.followers.items():
            if f.leo < new_hw and (r in maximal or (f.is_caught_up(leo, now, self.lag_ms) and self.alive(r))):
                new_hw = f.leo
        if new_hw > p.high_watermark:
            p.set_high_watermark(new_hw)
            self.signal()
            return True
        return False

    def maybe_shrink_isr(self) -> None:
        """The isr-expiration task: propose the ISR without followers that stopped catching up."""
        p = self.p
        if not self.leading or self.pending_isr is not None:
            return
        leo = p.log.log_end_offset
        now = self.now_ms()
        out = [r for r in p.isr if r != p.node_id and r in self.followers
               and not self.followers[r].is_caught_up(leo, now, self.lag_ms)]
        if not out:
            return
        new_isr = tuple(r for r in p.isr if r not in out)
        for r in out:
            f = self.followers[r]
            log.info("%s: follower %d is out of sync (log end %d, leader's %d, last caught up %d ms ago): "
                     "proposing ISR %s", p.name, r, f.leo, leo, now - f.last_caught_up_ms, list(new_isr))
        self.pending_isr = new_isr  # the maximal ISR (ISR + pending) stays the old ISR while it is in flight
        self.propose_isr(self, new_isr)

    # -- acks=all -----------------------------------------------------------------------------
    def signal(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def acks_result(self, required_offset: int) -> ErrorCode | None:
        """None while waiting; otherwise the answer for an acks=all append ending before required_offset."""
        p = self.p
        if not self.leading:
            return ErrorCode.not_leader_or_follower
        if p.high_watermark >= required_offset:
            if self.effective_min_isr() <= len(self.maximal_isr):
                return ErrorCode.none
            return ErrorCode.not_enough_replicas_after_append
        return None

    async def wait_for_acks(self, required_offset: int, timeout_s: float) -> ErrorCode:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            result = self.acks_result(required_offset)
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return ErrorCode.request_timed_out
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def describe(self) -> dict[str, Any]:
        return {"partition_epoch": self.partition_epoch, "pending_isr": self.pending_isr,
                "followers": {r: dataclasses.asdict(f) for r, f in self.followers.items()}}
