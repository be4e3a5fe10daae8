"""Followers' fetching (Kafka's ReplicaFetcherThread / AbstractFetcherThread): one fetcher per leader broker,
fetching every partition this broker follows there.

A fetch is Fetch v17 with this broker's id and epoch in ReplicaState, the partitions' topic
ids, CurrentLeaderEpoch and LastFetchedEpoch (IBP 3.9: truncation on fetch, KIP-320), waiting
up to replica.fetch.wait.max.ms at the leader. Per partition of the answer:

    answer                         the follower
    records                        appends them as they are; HW = min(leader's HW, its log end);
                                   the log start follows the leader's (DeleteRecords, retention)
    DivergingEpoch (E, O)          truncates: to min(O, its end of epoch E, its log end) when it has
                                   epoch E, else to its end of the largest epoch below E and asks
                                   again; then fetches from its new log end (no KIP-101 loss)
    OFFSET_OUT_OF_RANGE            asks the leader's log end and start (ListOffsets as a replica):
                                   leader's end below its own -> truncate there; leader's start past
                                   its end -> start over empty at the leader's start
    FENCED_LEADER_EPOCH            drops the partition until the next LeaderAndIsr
    NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_*, a lost connection
                                   backs off replica.fetch.backoff.ms and tries again
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from kio.schema.errors import ErrorCode

from engine.aio import cancel_and_wait
from engine.cluster.client import BrokerClient, BrokerUnreachable
from engine.storage.epoch_cache import UNDEFINED_EPOCH
from engine.storage.fileio import StorageError
from engine.storage.log import UnexpectedAppendOffsetError

if TYPE_CHECKING:
    from engine.cluster.replica_manager import ReplicaManager
    from engine.partition import Partition

log = logging.getLogger("engine.replication")
FETCH_VERSION = 17
LIST_OFFSETS_VERSION = 8
LATEST, EARLIEST = -1, -2
BACKOFF_ERRORS = {ErrorCode.not_leader_or_follower, ErrorCode.unknown_leader_epoch,
                  ErrorCode.unknown_topic_or_partition, ErrorCode.unknown_topic_id, ErrorCode.replica_not_available,
                  ErrorCode.kafka_storage_error, ErrorCode.not_leader_or_follower}

TP = tuple[str, int]


@dataclasses.dataclass
class FetchState:
    topic_id: uuid.UUID
    leader_epoch: int
    fetch_offset: int
    last_fetched_epoch: int
    delayed_until: float = 0.0


class ReplicaFetcher:
    def __init__(self, manager: ReplicaManager, leader_id: int, host: str, port: int) -> None:
        self.m = manager
        self.leader_id = leader_id
        cfg = manager.config
        timeout_s = (int(cfg["replica.socket.timeout.ms"]) + int(cfg["replica.fetch.wait.max.ms"])) / 1000
        self.client = BrokerClient(host, port, f"replica-fetcher-{manager.node_id}-from-{leader_id}", timeout_s)
        self.max_wait_ms = int(cfg["replica.fetch.wait.max.ms"])
        self.min_bytes = int(cfg["replica.fetch.min.bytes"])
        self.max_bytes = int(cfg["replica.fetch.response.max.bytes"])
        self.partition_max_bytes = int(cfg["replica.fetch.max.bytes"])
        self.backoff_s = int(cfg["replica.fetch.backoff.ms"]) / 1000
        self.partitions: dict[TP, FetchState] = {}
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"replica-fetcher-{leader_id}")

    @property
    def address(self) -> tuple[str, int]:
        return self.client.host, self.client.port

    def add(self, tp: TP, p: Partition, topic_id: uuid.UUID) -> None:
        epochs = p.log.epochs
        if epochs.latest_epoch is None and p.log.log_end_offset > p.high_watermark:
            p.truncate_to(p.high_watermark)  # no epochs to compare: Kafka truncates to the high watermark
        latest = epochs.latest_epoch
        self.partitions[tp] = FetchState(topic_id, p.leader_epoch, p.log.log_end_offset,
                                         UNDEFINED_EPOCH if latest is None else latest)
        self._wake.set()

    def remove(self, tp: TP) -> None:
        self.partitions.pop(tp, None)

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self.client.close()

    # -- the loop -------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            try:
                await self._fetch_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("replica fetcher from broker %d failed; retrying", self.leader_id)
                await asyncio.sleep(self.backoff_s)

    async def _fetch_once(self) -> None:
        now = time.monotonic()
        ready = {tp: s for tp, s in self.partitions.items() if s.delayed_until <= now}
        if not ready:
            self._wake.clear()
            delays = [s.delayed_until - now for s in self.partitions.values()]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(delays) if delays else None)
            return
        try:
            response = await self.client.send(1, FETCH_VERSION, self._request(ready))
        except BrokerUnreachable as exc:
            log.debug("fetch from broker %d failed: %s", self.leader_id, exc)
            await asyncio.sleep(self.backoff_s)
            return
        if int(response.error_code) != 0:
            log.warning("fetch from broker %d: %s", self.leader_id, ErrorCode(int(response.error_code)).name)
            await asyncio.sleep(self.backoff_s)
            return
        by_id = {s.topic_id: tp[0] for tp, s in ready.items()}
        for t in response.responses:
            topic = by_id.get(t.topic_id)
            if topic is None:
                continue
            for pd in t.partitions:
                tp = (topic, int(pd.partition_index))
                sent = ready.get(tp)
                if sent is None or self.partitions.get(tp) is not sent:
                    continue  # removed or replaced meanwhile
                try:
                    await self._process(tp, sent, pd)
                except Exception:
                    log.exception("%s-%d: handling the fetch from broker %d failed", *tp, self.leader_id)
                    sent.delayed_until = time.monotonic() + self.backoff_s

    def _request(self, ready: dict[TP, FetchState]) -> dict[str, Any]:
        topics: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for (topic, index), s in ready.items():
            p = self.m.broker.partition(topic, index)
            topics.setdefault(s.topic_id, []).append({
                "partition": index, "current_leader_epoch": s.leader_epoch, "fetch_offset": s.fetch_offset,
                "last_fetched_epoch": s.last_fetched_epoch,
                "log_start_offset": p.log_start_offset if p is not None else -1,
                "partition_max_bytes": self.partition_max_bytes})
        return {"replica_state": {"replica_id": self.m.node_id, "replica_epoch": self.m.broker_epoch},
                "max_wait": self.max_wait_ms, "min_bytes": self.min_bytes, "max_bytes": self.max_bytes,
                "isolation_level": 0, "session_id": 0, "session_epoch": -1,
                "topics": [{"topic_id": tid, "partitions": ps} for tid, ps in topics.items()],
                "forgotten_topics_data": [], "rack_id": ""}

    # -- one partition's answer -------------------------------------------------------------------
    async def _process(self, tp: TP, s: FetchState, pd: Any) -> None:
        p = self.m.broker.partition(*tp)
        if p is None or p.replication is None or p.is_leader:
            self.remove(tp)
            return
        error = ErrorCode(int(pd.error_code))
        if error is ErrorCode.none:
            diverging = getattr(pd, "diverging_epoch", None)
            if diverging is not None and int(diverging.epoch) >= 0 and int(diverging.end_offset) >= 0:
                self._truncate_on_divergence(tp, p, s, int(diverging.epoch), int(diverging.end_offset))
                return
            records = pd.records or b""
            if records:
                try:
                    p.append_as_follower(records)
                except (UnexpectedAppendOffsetError, StorageError) as exc:
                    log.error("%s: cannot append the leader's records: %s", p.name, exc)
                    s.delayed_until = time.monotonic() + self.backoff_s
                    return
                await self.m.broker.flush_if_due(p)
            leader_start = int(pd.log_start_offset)
            if p.log_start_offset < leader_start <= p.log.log_end_offset:
                p.log.delete_records_before(leader_start)
            p.set_high_watermark(min(int(pd.high_watermark), p.log.log_end_offset))
            self._advance(p, s)
        elif error is ErrorCode.offset_out_of_range:
            await self._out_of_range(tp, p, s)
        elif error is ErrorCode.fenced_leader_epoch:
            log.info("%s: fetch from %d fenced at leader epoch %d: waiting for the next LeaderAndIsr", p.name,
                     self.leader_id, s.leader_epoch)
            self.remove(tp)
        else:
            if error not in BACKOFF_ERRORS:
                log.warning("%s: fetch from %d answered %s", p.name, self.leader_id, error.name)
            s.delayed_until = time.monotonic() + self.backoff_s

    def _advance(self, p: Partition, s: FetchState) -> None:
        s.fetch_offset = p.log.log_end_offset
        latest = p.log.epochs.latest_epoch
        s.last_fetched_epoch = UNDEFINED_EPOCH if latest is None else latest

    def _truncate_on_divergence(self, tp: TP, p: Partition, s: FetchState, leader_epoch: int, leader_end: int) -> None:
        leo = p.log.log_end_offset
        mine_epoch, mine_end = p.log.epochs.end_offset_for(leader_epoch, leo)
        if mine_epoch == UNDEFINED_EPOCH:
            target = min(leader_end, leo)
        elif mine_epoch != leader_epoch:
            target = min(mine_end, leo)  # not complete: the next fetch tells the leader an older epoch
        else:
            target = min(mine_end, leader_end, leo)
        if target < p.high_watermark:
            log.warning("%s: truncating to %d, below the high watermark %d (leader %d's epoch %d ends at %d)",
                        p.name, target, p.high_watermark, self.leader_id, leader_epoch, leader_end)
        else:
            log.info("%s: truncating from %d to %d (leader %d's epoch %d ends at %d)", p.name, leo, target,
                     self.leader_id, leader_epoch, leader_end)
        p.truncate_to(target)
        self._advance(p, s)

    async def _out_of_range(self, tp: TP, p: Partition, s: FetchState) -> None:
        leader_end = await self._leader_offset(tp, LATEST)
        leader_start = await self._leader_offset(tp, EARLIEST)
        if leader_end is None or leader_start is None:
            s.delayed_until = time.monotonic() + self.backoff_s
            return
        leo = p.log.log_end_offset
        if leader_end < leo:
            log.warning("%s: the leader's log ends at %d, below this replica's %d: truncating (unclean election?)",
                        p.name, leader_end, leo)
            p.truncate_to(leader_end)
        elif leader_start > leo:
            log.info("%s: the leader's log starts at %d, past this replica's end %d: starting over there", p.name,
                     leader_start, leo)
            p.truncate_fully_and_start_at(leader_start, self.m.broker.now_ms())
        self._advance(p, s)

    async def _leader_offset(self, tp: TP, timestamp: int) -> int | None:
        body = {"replica_id": self.m.node_id, "isolation_level": 0, "topics": [
            {"name": tp[0], "partitions": [{"partition_index": tp[1], "current_leader_epoch": -1,
                                            "timestamp": timestamp}]}]}
        try:
            resp = await self.client.send(2, LIST_OFFSETS_VERSION, body)
        except BrokerUnreachable:
            return None
        for t in resp.topics:
            for part in t.partitions:
                if int(part.error_code) == 0:
                    return int(part.offset)
        return None
