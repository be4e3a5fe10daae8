"""What the controller's state changes do (the tables are in engine.cluster.controller.states): elections written
to ZooKeeper, replicas taken out of the ISR, and the LeaderAndIsr / UpdateMetadata / StopReplica requests each
change owes the brokers (collected in the caller's RequestBatch).

Elections and ISR removals re-read the partition's state znode, decide, and write it back
conditionally on its zkVersion; a write that loses a race (BADVERSION) is retried with the
newly read state, a bounded number of times. An election never empties the ISR: when
the last ISR member goes, the ISR stays as it was and the leader becomes -1 (offline; only
that member is clean).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from engine.cluster.controller import election
from engine.cluster.controller.channel import RequestBatch
from engine.cluster.controller.context import TP, ControllerContext
from engine.cluster.controller.states import (
    PartitionState,
    ReplicaState,
    partition_change_allowed,
    replica_change_allowed,
)
from engine.cluster.controller.zk_store import ControllerStore
from engine.cluster.znodes import NO_LEADER, LeaderAndIsr

log = logging.getLogger("engine.controller")
P, R = PartitionState, ReplicaState
MAX_ROUNDS = 10

# strategy names for elect()
OFFLINE, CONTROLLED_SHUTDOWN, PREFERRED = "offline", "controlled-shutdown", "preferred"

UncleanCheck = Callable[[str], Awaitable[bool]]


class StateMachines:
    def __init__(self, ctx: ControllerContext, store: ControllerStore, unclean_allowed: UncleanCheck) -> None:
        self.ctx = ctx
        self.store = store
        self.unclean_allowed = unclean_allowed

    async def startup(self, batch: RequestBatch) -> None:
        """Controller fail-over: the replica state machine starts, then the partition state machine
        (ReplicaStateMachine.startup, PartitionStateMachine.startup). Every replica on a live broker is told its
        partition's state; the replicas on dead brokers start as ReplicaDeletionIneligible and go OfflineReplica,
        which takes them out of the ISR (a broker that died while there was no controller leaves the ISR too);
        then New and Offline partitions get leaders."""
        ctx = self.ctx
        online, offline = [], []
        for t, p, r in ctx.replicas_of(ctx.all_partitions()):
            if ctx.replica_online(r, True):
                online.append((t, p, r))
                ctx.replica_states[(t, p, r)] = R.ONLINE
            else:
                offline.append((t, p, r))
                ctx.replica_states[(t, p, r)] = R.DELETION_INELIGIBLE
        await self.replicas_to(batch, online, R.ONLINE)
        await self.replicas_to(batch, offline, R.OFFLINE)
        for tp in ctx.all_partitions():
            lead = ctx.leadership.get(tp)
            if lead is None:
                ctx.partition_states[tp] = P.NEW
            else:
                ctx.partition_states[tp] = P.ONLINE if ctx.replica_online(lead.leader) else P.OFFLINE
        await self.trigger_online_partitions(batch)

    # -- partitions --------------------------------------------------------------------------------
    async def partitions_to(self, batch: RequestBatch, partitions: list[TP], target: PartitionState,
                            strategy: str = OFFLINE) -> dict[TP, LeaderAndIsr]:
        """Move partitions to target; returns the partitions that got a (new) leader."""
        valid = []
        for tp in partitions:
            current = self.ctx.partition_states.get(tp, P.NON_EXISTENT)
            if partition_change_allowed(current, target):
                valid.append(tp)
            else:
                log.error("invalid partition state change of %s-%d from %s to %s", *tp, current.value, target.value)
        done: dict[TP, LeaderAndIsr] = {}
        if target is P.ONLINE:
            new = [tp for tp in valid if self.ctx.partition_states.get(tp) is P.NEW]
            existing = [tp for tp in valid if tp not in new]
            done.update(await self._initialize(batch, new))
            done.update(await self.elect(batch, existing, strategy))
            for tp in done:
                self.ctx.partition_states[tp] = P.ONLINE
        else:
            for tp in valid:
                self.ctx.partition_states[tp] = target
        return done

    async def _initialize(self, batch: RequestBatch, partitions: list[TP]) -> dict[TP, LeaderAndIsr]:
        states: dict[TP, LeaderAndIsr] = {}
        for tp in partitions:
            chosen = election.initial(self.ctx.replicas(tp), self.ctx.live_ids)
            if chosen is None:
                log.error("no live replica of new partition %s-%d (replicas %s): it stays offline", *tp,
                          self.ctx.replicas(tp))
                continue
            states[tp] = LeaderAndIsr(chosen.leader, 0, chosen.isr, self.ctx.epoch, 0)
        created = await self.store.create_states(states)
        for tp, s in created.items():
            self.ctx.leadership[tp] = s
            batch.add_leader_and_isr(list(s.isr), tp, s, self.ctx.replicas(tp), is_new=True)
        return created

    async def elect(self, batch: RequestBatch, partitions: list[TP], strategy: str) -> dict[TP, LeaderAndIsr]:
        remaining = list(partitions)
        elected: dict[TP, LeaderAndIsr] = {}
        for _round in range(MAX_ROUNDS):
            if not remaining:
                break
            current = await self.store.states(remaining)
            retry = []
            for tp in remaining:
                s = current.get(tp)
                if s is None:
                    log.error("partition %s-%d has no state znode: no election", *tp)
                    continue
                if s.controller_epoch > self.ctx.epoch:
                    log.error("partition %s-%d was written by a newer controller (epoch %d): no election", *tp,
                              s.controller_epoch)
                    continue
                chosen = await self._choose(tp, s, strategy)
                if chosen is None:
                    continue
                new = s.new_leader(chosen.leader, chosen.isr, self.ctx.epoch, chosen.recovery_state)
                version = await self.store.update_state(tp, new, s.partition_epoch)
                if version is None:
                    retry.append(tp)
                    continue
                new = LeaderAndIsr(new.leader, new.leader_epoch, new.isr, new.controller_epoch, version,
                                   new.recovery_state)
                if chosen.unclean:
                    log.warning("unclean leader election for %s-%d: %d leads without being in the ISR %s; "
                                "records not replicated to it are lost", *tp, chosen.leader, list(s.isr))
                log.info("elected %d leader of %s-%d at epoch %d (%s), ISR %s", new.leader, *tp, new.leader_epoch,
                         strategy, list(new.isr))
                self.ctx.leadership[tp] = new
                elected[tp] = new
                replicas = self.ctx.replicas(tp)
                batch.add_leader_and_isr([r for r in replicas if self.ctx.replica_online(r, True)], tp, new, replicas)
            remaining = retry
        for tp in remaining:
            log.error("giving up the election of %s-%d after %d conflicting writes", *tp, MAX_ROUNDS)
        return elected

    async def _choose(self, tp: TP, s: LeaderAndIsr, strategy: str) -> election.Elected | None:
        replicas = self.ctx.replicas(tp)
        if strategy == CONTROLLED_SHUTDOWN:
            return election.controlled_shutdown(replicas, s.isr, self.ctx.live_or_shutting_ids,
                                                self.ctx.shutting_down)
        if strategy == PREFERRED:
            return election.preferred(replicas, s.isr, self.ctx.live_ids)
        live = self.ctx.live_ids
        clean = election.offline(replicas, s.isr, live, unclean_allowed=False)
        if clean is not None:
            return clean
        if any(r in live for r in replicas) and await self.unclean_allowed(tp[0]):
            return election.offline(replicas, s.isr, live, unclean_allowed=True)
        log.error("no in-sync replica of %s-%d is alive (ISR %s, live %s): it stays offline", *tp, list(s.isr),
                  sorted(live))
        return None

    async def trigger_online_partitions(self, batch: RequestBatch) -> dict[TP, LeaderAndIsr]:
        """Elect leaders for every New and Offline partition (not of topics being deleted)."""
        wanted = self.ctx.partitions_in(P.NEW, P.OFFLINE)
        return await self.partitions_to(batch, wanted, P.ONLINE, OFFLINE) if wanted else {}

    # -- replicas ----------------------------------------------------------------------------------
    async def replicas_to(self, batch: RequestBatch, replicas: list[tuple[str, int, int]], target: ReplicaState,
                          stop_callback: object = None) -> None:
        valid = []
        for key in replicas:
            current = self.ctx.replica_states.get(key, R.NON_EXISTENT)
            if replica_change_allowed(current, target):
                valid.append(key)
            else:
                log.error("invalid replica state change of %s-%d on %d from %s to %s", *key, current.value,
                          target.value)
        if target is R.NEW:
            for t, p, r in valid:
                lead = self.ctx.leadership.get((t, p))
                if lead is not None and lead.leader != r:
                    batch.add_leader_and_isr([r], (t, p), lead, self.ctx.replicas((t, p)), is_new=True)
                self.ctx.replica_states[(t, p, r)] = R.NEW
        elif target is R.ONLINE:
            for t, p, r in valid:
                lead = self.ctx.leadership.get((t, p))
                if lead is not None:
                    batch.add_leader_and_isr([r], (t, p), lead, self.ctx.replicas((t, p)))
                self.ctx.replica_states[(t, p, r)] = R.ONLINE
        elif target is R.OFFLINE:
            for t, p, r in valid:
                batch.add_stop_replica([r], (t, p), delete=False)
            by_broker: dict[int, list[TP]] = {}
            for t, p, r in valid:
                if (t, p) in self.ctx.leadership:
                    by_broker.setdefault(r, []).append((t, p))
            for r, tps in by_broker.items():
                updated = await self.remove_from_isr(r, tps)
                for tp, s in updated.items():
                    if tp[0] not in self.ctx.topics_to_delete:
                        others = [x for x in self.ctx.replicas(tp) if x != r and self.ctx.replica_online(x, True)]
                        batch.add_leader_and_isr(others, tp, s, self.ctx.replicas(tp))
            for key in valid:
                self.ctx.replica_states[key] = R.OFFLINE
        elif target is R.DELETION_STARTED:
            for t, p, r in valid:
                batch.add_stop_replica([r], (t, p), delete=True, callback=stop_callback)  # type: ignore[arg-type]
                self.ctx.replica_states[(t, p, r)] = target
        elif target is R.NON_EXISTENT:
            for key in valid:
                self.ctx.replica_states.pop(key, None)
        else:
            for key in valid:
                self.ctx.replica_states[key] = target

    async def remove_from_isr(self, replica: int, partitions: list[TP]) -> dict[TP, LeaderAndIsr]:
        """Take replica out of the ISR of partitions (a leader epoch bump each); never empties an ISR."""
        remaining = list(partitions)
        updated: dict[TP, LeaderAndIsr] = {}
        for _round in range(MAX_ROUNDS):
            if not remaining:
                break
            current = await self.store.states(remaining)
            retry = []
            for tp in remaining:
                s = current.get(tp)
                if s is None or s.controller_epoch > self.ctx.epoch or replica not in s.isr:
                    if s is not None:
                        self.ctx.leadership[tp] = s
                    continue
                leader = NO_LEADER if s.leader == replica else s.leader
                isr = s.isr if len(s.isr) == 1 else tuple(b for b in s.isr if b != replica)
                new = s.new_leader(leader, isr, self.ctx.epoch)
                version = await self.store.update_state(tp, new, s.partition_epoch)
                if version is None:
                    retry.append(tp)
                    continue
                new = LeaderAndIsr(new.leader, new.leader_epoch, new.isr, new.controller_epoch, version,
                                   new.recovery_state)
                log.info("removed %d from the ISR of %s-%d: leader %d, ISR %s, epoch %d", replica, *tp, new.leader,
                         list(new.isr), new.leader_epoch)
                self.ctx.leadership[tp] = new
                updated[tp] = new
            remaining = retry
        return updated
