"""Incremental fetch sessions (KIP-227), as Kafka's FetchSession: the broker remembers what a consumer fetches.

A request's (session id, epoch) selects one of four contexts:

    session id  epoch   context
    any         -1      sessionless: a full fetch; any session named is closed, none is made
    any         0       full: any session named is closed; a new session is made for the response
    id          n > 0   incremental: the request lists only added or changed partitions and the
                        partitions to forget; the response only partitions with news
    unknown id  n > 0   error FETCH_SESSION_ID_NOT_FOUND; wrong epoch: INVALID_FETCH_SESSION_EPOCH

A partition has news when it has records, an error, or a high watermark or log start
offset other than the one last sent (Kafka's CachedPartition.maybeUpdateResponseData).
Partitions that returned records move to the end of the session's order, so that a
response cut by max bytes does not starve the others. The cache holds at most
`max.incremental.fetch.session.cache.slots` sessions; when full, the least recently used
one idle for longer than the eviction time gives way, otherwise no session is made (id 0).
No I/O here: the clock is passed in.
"""

from __future__ import annotations

import dataclasses
import random
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from kio.schema.errors import ErrorCode

INITIAL_EPOCH, FINAL_EPOCH = 0, -1
INT32_MAX = 2**31 - 1
EVICTION_MS = 120_000

PartitionKey = tuple[Any, int]  # (topic name, or topic id for Fetch v13+), partition


def next_epoch(epoch: int) -> int:
    return 1 if epoch >= INT32_MAX else epoch + 1


@dataclasses.dataclass(slots=True)
class FetchPartition:
    """What a fetch asks of one partition (from the request, or remembered by the session)."""

    fetch_offset: int
    max_bytes: int
    current_leader_epoch: int = -1
    last_fetched_epoch: int = -1  # a follower's (Fetch v12+), for the leader's divergence check
    log_start_offset: int = -1  # a follower's


@dataclasses.dataclass(slots=True)
class CachedPartition:
    request: FetchPartition
    high_watermark: int = -1
    log_start_offset: int = -1


@dataclasses.dataclass
class FetchSession:
    session_id: int
    uses_topic_ids: bool
    epoch: int
    last_used_ms: int
    partitions: OrderedDict[PartitionKey, CachedPartition] = dataclasses.field(default_factory=OrderedDict)


@dataclasses.dataclass
class FetchContext:
    """The partitions to read for one request and how to turn their results into the response."""

    kind: str  # "sessionless", "full", "incremental", "error"
    partitions: list[tuple[PartitionKey, FetchPartition]]
    error: ErrorCode = ErrorCode.none
    session: FetchSession | None = None
    uses_topic_ids: bool = False


class FetchSessionCache:
    def __init__(self, max_sessions: int = 1000, eviction_ms: int = EVICTION_MS, seed: int | None = None) -> None:
        self.max_sessions = max_sessions
        self.eviction_ms = eviction_ms
        self.sessions: OrderedDict[int, FetchSession] = OrderedDict()  # least recently used first
        self._rng = random.Random(seed)

    def __len__(self) -> int:
        return len(self.sessions)

    def new_context(self, session_id: int, epoch: int, requested: list[tuple[PartitionKey, FetchPartition]],
                    forgotten: Iterable[PartitionKey], uses_topic_ids: bool, now_ms: int) -> FetchContext:
        if epoch in (INITIAL_EPOCH, FINAL_EPOCH):
            if session_id:
                self.sessions.pop(session_id, None)
            kind = "sessionless" if epoch == FINAL_EPOCH else "full"
            return FetchContext(kind, requested, uses_topic_ids=uses_topic_ids)
        session = self.sessions.get(session_id)
        if session is None:
            return FetchContext("error", [], ErrorCode.fetch_session_id_not_found)
        if session.epoch != epoch:
            return FetchContext("error", [], ErrorCode.invalid_fetch_session_epoch, session)
        if session.uses_topic_ids != uses_topic_ids:
            return FetchContext("error", [], ErrorCode.fetch_session_topic_id_error, session)
        for key, want in requested:
            cached = session.partitions.get(key)
            if cached is None:
                session.partitions[key] = CachedPartition(want)
            else:
                cached.request = want
        for key in forgotten:
            session.partitions.pop(key, None)
        if not session.partitions:
            del self.sessions[session_id]
            return FetchContext("sessionless", requested, uses_topic_ids=uses_topic_ids)
        session.last_used_ms = now_ms
        self.sessions.move_to_end(session_id)
        session.epoch = next_epoch(session.epoch)
        return FetchContext("incremental", [(k, c.request) for k, c in session.partitions.items()],
                            session=session, uses_topic_ids=uses_topic_ids)

    def respond(self, ctx: FetchContext, results: list[tuple[PartitionKey, dict[str, Any]]], now_ms: int
                ) -> tuple[int, list[tuple[PartitionKey, dict[str, Any]]]]:
        """(session id for the response, the partition results to send) once the partitions were read."""
        if ctx.kind == "full":
            return self._maybe_create(ctx, results, now_ms), results
        if ctx.kind != "incremental":
            return 0, results
        session = ctx.session
        assert session is not None
        out = []
        for key, data in results:
            cached = session.partitions.get(key)
            if cached is None:
                continue
            if _has_news(cached, data):
                out.append((key, data))
                if data.get("records_size", 0) > 0:
                    session.partitions.move_to_end(key)
        return session.session_id, out

    def _maybe_create(self, ctx: FetchContext, results: list[tuple[PartitionKey, dict[str, Any]]],
                      now_ms: int) -> int:
        if not results or not self._make_room(now_ms):
            return 0
        session_id = self._new_id()
        session = FetchSession(session_id, ctx.uses_topic_ids, next_epoch(INITIAL_EPOCH), now_ms)
        wanted = dict(ctx.partitions)
        for key, data in results:
            cached = CachedPartition(wanted[key])
            _has_news(cached, data)
            session.partitions[key] = cached
        self.sessions[session_id] = session
        return session_id

    def _make_room(self, now_ms: int) -> bool:
        if len(self.sessions) < self.max_sessions:
            return True
        oldest_id, oldest = next(iter(self.sessions.items()))
        if now_ms - oldest.last_used_ms < self.eviction_ms:
            return False
        del self.sessions[oldest_id]
        return True

    def _new_id(self) -> int:
        while True:  # ends at once but for a collision among at most max_sessions of 2**31 ids
            candidate = self._rng.randint(1, INT32_MAX)
            if candidate not in self.sessions:
                return candidate


def _has_news(cached: CachedPartition, data: dict[str, Any]) -> bool:
    """Kafka's maybeUpdateResponseData: whether the partition goes into the response; updates the cache."""
    news = int(data.get("records_size", 0)) > 0
    hw, start = int(data["high_watermark"]), int(data["log_start_offset"])
    if cached.high_watermark != hw:
        cached.high_watermark = hw
        news = True
    if cached.log_start_offset != start:
        cached.log_start_offset = start
        news = True
    if int(data["error_code"]) != 0:
        cached.high_watermark = -1  # sent again once the error is gone
        news = True
    return news
