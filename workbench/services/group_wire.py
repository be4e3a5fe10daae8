"""The two group requests AdminClient does not offer, over wire.py: ListGroups (with protocol type and group type) and
OffsetDelete. Each goes to one broker: ListGroups to every broker in turn (each lists the groups it coordinates),
OffsetDelete to the group's coordinator.
"""

from __future__ import annotations

import asyncio
from typing import Any

from workbench.errors import kafka_error
from workbench.services import wire
from workbench.services.connection import ConnectionSpec
from workbench.services.threads import EXECUTOR

LIST_GROUPS, OFFSET_DELETE = 16, 47
_preloaded: asyncio.Future[None] | None = None


def _preload() -> None:
    from kio.index import load_request_schema, load_response_schema
    from kio.serial import entity_reader, entity_writer

    for key, versions in ((LIST_GROUPS, range(6)), (OFFSET_DELETE, (0,))):
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
