"""Group requests over wire.py, where AdminClient lacks them or makes one request per group: ListGroups (with protocol
type and group type), OffsetDelete, and for lag of many groups at once a batched FindCoordinator (v4+, KIP-699) and a
multi-group OffsetFetch (v8+, KIP-709), so a sampler tick costs the cluster two requests per coordinator instead of
two per group. Each request goes to one broker: ListGroups to every broker in turn (each lists the groups it
coordinates), OffsetDelete and OffsetFetch to the groups' coordinator, FindCoordinator to any broker.
"""

from __future__ import annotations

import asyncio
from typing import Any

from workbench.errors import kafka_error
from workbench.services import wire
from workbench.services.connection import ConnectionSpec
from workbench.services.threads import EXECUTOR

LIST_GROUPS, OFFSET_DELETE, FIND_COORDINATOR, OFFSET_FETCH = 16, 47, 10, 9
BATCH = 500  # groups per OffsetFetch request
_preloaded: asyncio.Future[None] | None = None


def _preload() -> None:
    from kio.index import load_request_schema, load_response_schema
    from kio.serial import entity_reader, entity_writer

    for key, versions in ((LIST_GROUPS, range(6)), (OFFSET_DELETE, (0,)), (FIND_COORDINATOR, (4, 5, 6)),
                          (OFFSET_FETCH, (8, 9))):
        for v in versions:
            req, resp = load_request_schema(key, v), load_response_schema(key, v)
            entity_writer(req)
            entity_writer(req.__header_schema__)
            entity_reader(resp)
            entity_reader(resp.__header_schema__)


async def ensure_preloaded() -> None:
    """Import these requests' schemas off the GUI thread, once."""
    global _preloaded
    await wire.ensure_preloaded()
    if _preloaded is None or (_preloaded.done() and _preloaded.exception() is not None):
        _preloaded = asyncio.ensure_future(asyncio.get_running_loop().run_in_executor(EXECUTOR, _preload))
    await asyncio.shield(_preloaded)


async def list_groups(spec: ConnectionSpec, host: str, port: int, timeout: float) -> list[Any]:
    """The groups one broker coordinates: group_id, protocol_type, group_state (v4+), group_type (v5+)."""
    await ensure_preloaded()

    def body(version: int) -> dict[str, Any]:
        return {"states_filter": (), "types_filter": ()}
    resp = await wire.request_with_versions(spec, host, port, timeout, LIST_GROUPS, 0, 5, body)
    if int(resp.error_code) != 0:
        raise kafka_error(resp.error_code.name, f"listing the groups of {host}:{port}")
    return list(resp.groups)


async def offset_delete(spec: ConnectionSpec, host: str, port: int, timeout: float, group: str,
                        parts: list[tuple[str, int]]) -> None:
    """Remove a group's committed offsets at its coordinator; a WorkbenchError names the first refusal."""
    await ensure_preloaded()
    by_topic: dict[str, list[int]] = {}
    for t, p in parts:
        by_topic.setdefault(t, []).append(p)

    def body(version: int) -> dict[str, Any]:
        topic_cls = wire.nested_request_type(OFFSET_DELETE, version, "OffsetDeleteRequestTopic")
        part_cls = wire.nested_request_type(OFFSET_DELETE, version, "OffsetDeleteRequestPartition")
        return {"group_id": group, "topics": tuple(
            topic_cls(name=t, partitions=tuple(part_cls(partition_index=p) for p in sorted(ps)))
            for t, ps in sorted(by_topic.items()))}
    resp = await wire.request_with_versions(spec, host, port, timeout, OFFSET_DELETE, 0, 0, body)
    if int(resp.error_code) != 0:
        raise kafka_error(resp.error_code.name, f"deleting the offsets of group {group}")
    failed = [(str(t.name), int(p.partition_index), p.error_code.name) for t in resp.topics for p in t.partitions
              if int(p.error_code) != 0]
    if failed:
        t, p, name = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise kafka_error(name, f"deleting the offsets of group {group} for partition {p} of {t}{more}")


async def find_coordinators(spec: ConnectionSpec, host: str, port: int, timeout: float,
                            groups: list[str]) -> dict[str, tuple[str, int]]:
    """Each group's coordinator (host, port), from one batched FindCoordinator; groups the broker cannot place yet
    are left out. WorkbenchError of kind "unsupported" from a broker older than Kafka 3.0."""
    await ensure_preloaded()
    resp = await wire.request_with_versions(spec, host, port, timeout, FIND_COORDINATOR, 4, 6,
                                            lambda _v: {"key_type": 0, "coordinator_keys": tuple(groups)})
    return {str(c.key): (str(c.host), int(c.port)) for c in resp.coordinators if int(c.error_code) == 0}


async def committed_offsets(spec: ConnectionSpec, host: str, port: int, timeout: float,
                            groups: list[str]) -> dict[str, dict[tuple[str, int], int] | None]:
    """The committed offsets of many groups at their coordinator, BATCH groups per OffsetFetch; None for a group the
    coordinator answered with an error (not allowed, still loading)."""
    await ensure_preloaded()
    out: dict[str, dict[tuple[str, int], int] | None] = {}
    for start in range(0, len(groups), BATCH):
        chunk = groups[start:start + BATCH]

        def body(version: int, chunk: list[str] = chunk) -> dict[str, Any]:
            group_cls = wire.nested_request_type(OFFSET_FETCH, version, "OffsetFetchRequestGroup")
            return {"groups": tuple(group_cls(group_id=g, topics=None) for g in chunk), "require_stable": False}
        resp = await wire.request_with_versions(spec, host, port, timeout, OFFSET_FETCH, 8, 9, body)
        for g in resp.groups:
            if int(g.error_code) != 0:
                out[str(g.group_id)] = None
                continue
            out[str(g.group_id)] = {(str(t.name), int(p.partition_index)): int(p.committed_offset)
                                    for t in g.topics for p in t.partitions
                                    if int(p.error_code) == 0 and int(p.committed_offset) >= 0}
    return out
