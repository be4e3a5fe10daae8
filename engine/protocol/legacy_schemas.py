"""Schemas of the request and response versions Kafka 3.9 accepts but kio lacks (Kafka 4.0 removed them).

kio is generated from Kafka 4's message specs, which dropped the oldest versions of
several APIs (KIP-896). Kafka 3.9 still accepts them, so they are derived here from
kio's oldest class of the same API, following the field version ranges of Kafka
3.9's JSON specs: fields the older version lacks are dropped, fields only it has are
added. The derived classes are ordinary kio entities (same field metadata), so kio's
reader and writer, the frame guard and the response builder handle them unchanged.

    API (key) versions   derived from   differences
    Produce (0) 0-2      v3             no TransactionalId; response v1 no LogAppendTime, v0 no throttle
    Fetch (1) 0-3        v4             no IsolationLevel (v0-2 no MaxBytes); response no LSO/aborted
    ListOffsets (2) 0    v1             MaxNumOffsets in, OldStyleOffsets out
    OffsetCommit (8) 0-1 v2             v1: CommitTimestamp per partition, no retention; v0 no generation/member
    OffsetFetch (9) 0    v1             identical
    CreateTopics (19) 0-1 v2            v0 no ValidateOnly; response v1 no throttle, v0 no error message
    DeleteTopics (20) 0  v1             response without throttle
    OffsetForLeaderEpoch (23) 0-1 v2    no CurrentLeaderEpoch; response v1 no throttle, v0 no LeaderEpoch
    DescribeConfigs (32) 0 v1           no IncludeSynonyms; IsDefault instead of ConfigSource, no synonyms
    DescribeLogDirs (35) 0 v1           identical
    DescribeAcls (29), CreateAcls (30), DeleteAcls (31) 0   v1   no resource pattern type (LITERAL)
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

from kio.index import load_request_schema, load_response_schema
from kio.static.primitive import i16, i32, i64


@dataclasses.dataclass(frozen=True)
class Added:
    """A field only the older version has: inserted into the entity at `path` after the field `after`."""

    path: str  # dotted path of the entity that gets the field ("" for the top level)
    after: str
    name: str
    hint: Any
    kafka_type: str
    default: Any = None  # None: no default (the field is required)


def _entity_child(hint: Any) -> tuple[type | None, bool]:
    """(child entity class, is a tuple of them) for an entity-valued field, else (None, False)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple and args and isinstance(args[0], type) and dataclasses.is_dataclass(args[0]):
        return args[0], True
    non_none = [a for a in args if a is not type(None)]
    if len(non_none) == 1 and isinstance(non_none[0], type) and dataclasses.is_dataclass(non_none[0]):
        return non_none[0], False
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return hint, False
    return None, False


def derive(base: type, version: int, drop: Iterable[str] = (), add: Iterable[Added] = (), path: str = "") -> type:
    """A copy of the kio entity `base` for `version`, with the fields at the dotted paths in drop removed
    and the fields in add inserted."""
    drop = frozenset(drop)
    add = tuple(add)
    hints = typing.get_type_hints(base)
    fields: list[tuple[str, Any, Any]] = []

    def touched(prefix: str) -> bool:
        return any(d.startswith(prefix + ".") for d in drop) or any(
            (a.path + ".").startswith(prefix + ".") for a in add)

    for f in dataclasses.fields(base):
        full = f"{path}.{f.name}" if path else f.name
        if full in drop:
            continue
        hint = hints[f.name]
        child, many = _entity_child(hint)
        if child is not None and touched(full):
            new_child = derive(child, version, drop, add, full)
            hint = tuple[new_child, ...] if many else new_child  # type: ignore[valid-type]
        kwargs: dict[str, Any] = {"metadata": dict(f.metadata)}
        if f.default is not dataclasses.MISSING:
            kwargs["default"] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            kwargs["default_factory"] = f.default_factory
        fields.append((f.name, hint, dataclasses.field(**kwargs)))
        for a in add:
            if a.path == path and a.after == f.name:
                extra: dict[str, Any] = {"metadata": {"kafka_type": a.kafka_type}}
                if a.default is not None:
                    extra["default"] = a.default
                fields.append((a.name, a.hint, dataclasses.field(**extra)))
    cls = dataclasses.make_dataclass(base.__name__, fields, frozen=True, slots=True, kw_only=True)
    cls.__module__ = __name__
    for attr in ("__type__", "__flexible__", "__api_key__", "__header_schema__"):
        setattr(cls, attr, getattr(base, attr))
    cls.__version__ = i16(version)  # type: ignore[attr-defined]
    return cls


_REQ, _RESP = "request", "response"


@cache
def _table() -> dict[tuple[int, int], tuple[type, type]]:
    def req(key: int, v: int) -> type:
        return load_request_schema(key, v)  # type: ignore[no-any-return]

    def resp(key: int, v: int) -> type:
        return load_response_schema(key, v)  # type: ignore[no-any-return]

    t: dict[tuple[int, int], tuple[type, type]] = {}
    # Produce
    produce_req = derive(req(0, 3), 2, drop={"transactional_id"})
    t[(0, 2)] = (produce_req, derive(resp(0, 3), 2))
    t[(0, 1)] = (derive(req(0, 3), 1, drop={"transactional_id"}),
                 derive(resp(0, 3), 1, drop={"responses.partition_responses.log_append_time"}))
    t[(0, 0)] = (derive(req(0, 3), 0, drop={"transactional_id"}),
                 derive(resp(0, 3), 0, drop={"responses.partition_responses.log_append_time", "throttle_time"}))
    # Fetch
    fetch_resp_drop = {"responses.partitions.last_stable_offset", "responses.partitions.aborted_transactions"}
    t[(1, 3)] = (derive(req(1, 4), 3, drop={"isolation_level"}), derive(resp(1, 4), 3, drop=fetch_resp_drop))
    for v in (1, 2):
        t[(1, v)] = (derive(req(1, 4), v, drop={"isolation_level", "max_bytes"}),
                     derive(resp(1, 4), v, drop=fetch_resp_drop))
    t[(1, 0)] = (derive(req(1, 4), 0, drop={"isolation_level", "max_bytes"}),
                 derive(resp(1, 4), 0, drop=fetch_resp_drop | {"throttle_time"}))
    # ListOffsets
    t[(2, 0)] = (
        derive(req(2, 1), 0, add=[Added("topics.partitions", "timestamp", "max_num_offsets", i32, "int32")]),
        derive(resp(2, 1), 0, drop={"topics.partitions.timestamp", "topics.partitions.offset"},
               add=[Added("topics.partitions", "error_code", "old_style_offsets", tuple[i64, ...], "int64")]))
    # OffsetCommit
    t[(8, 1)] = (derive(req(8, 2), 1, drop={"retention_time"},
                        add=[Added("topics.partitions", "committed_offset", "commit_timestamp", i64, "int64",
                                   i64(-1))]),
                 derive(resp(8, 2), 1))
    t[(8, 0)] = (derive(req(8, 2), 0, drop={"retention_time", "generation_id_or_member_epoch", "member_id"}),
                 derive(resp(8, 2), 0))
    # OffsetFetch
    t[(9, 0)] = (derive(req(9, 1), 0), derive(resp(9, 1), 0))
    # CreateTopics
    t[(19, 1)] = (derive(req(19, 2), 1), derive(resp(19, 2), 1, drop={"throttle_time"}))
    t[(19, 0)] = (derive(req(19, 2), 0, drop={"validate_only"}),
                  derive(resp(19, 2), 0, drop={"throttle_time", "topics.error_message"}))
    # DeleteTopics
    t[(20, 0)] = (derive(req(20, 1), 0), derive(resp(20, 1), 0, drop={"throttle_time"}))
    # OffsetForLeaderEpoch
    t[(23, 1)] = (derive(req(23, 2), 1, drop={"topics.partitions.current_leader_epoch"}),
                  derive(resp(23, 2), 1, drop={"throttle_time"}))
    t[(23, 0)] = (derive(req(23, 2), 0, drop={"topics.partitions.current_leader_epoch"}),
                  derive(resp(23, 2), 0, drop={"throttle_time", "topics.partitions.leader_epoch"}))
    # DescribeConfigs
    t[(32, 0)] = (derive(req(32, 1), 0, drop={"include_synonyms"}),
                  derive(resp(32, 1), 0, drop={"results.configs.config_source", "results.configs.synonyms"},
                         add=[Added("results.configs", "read_only", "is_default", bool, "bool", False)]))
    # DescribeLogDirs
    t[(35, 0)] = (derive(req(35, 1), 0), derive(resp(35, 1), 0))
    # DescribeAcls, CreateAcls, DeleteAcls: v1 added the resource pattern type (v0 patterns are LITERAL)
    t[(29, 0)] = (derive(req(29, 1), 0, drop={"pattern_type_filter"}),
                  derive(resp(29, 1), 0, drop={"resources.pattern_type"}))
    t[(30, 0)] = (derive(req(30, 1), 0, drop={"creations.resource_pattern_type"}), derive(resp(30, 1), 0))
    t[(31, 0)] = (derive(req(31, 1), 0, drop={"filters.pattern_type_filter"}),
                  derive(resp(31, 1), 0, drop={"filter_results.matching_acls.pattern_type"}))
    return t


def request_schema(api_key: int, version: int) -> type | None:
    entry = _table().get((api_key, version))
    return entry[0] if entry else None


def response_schema(api_key: int, version: int) -> type | None:
    entry = _table().get((api_key, version))
    return entry[1] if entry else None
