"""Authorization before every handler: the resource and operation each API needs, as Kafka's KafkaApis checks them.

Theory of operation: the server asks `check(authz, api_key, version, request)` before it
calls a handler, and gets a Decision. A request about one thing (a group, the cluster,
a transactional id) is either passed on or answered at once with the API's error
response (GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED, ...). A request
about many topics (or groups) is split: the authorized ones go to the handler in a
copy of the request, and `after` adds an entry with TOPIC_AUTHORIZATION_FAILED for
each refused one to the handler's answer, so a handler never sees what the client
may not touch and never needs to know about ACLs. Topics a client may not describe
are dropped from Metadata's all-topics answer, so their names are never disclosed.
Answers that carry "authorized operations" (Metadata, DescribeGroups,
DescribeCluster) get them filled in here too.

The table `GATES` has one entry per API key; `NO_CHECK` lists the APIs Kafka never
authorizes (ApiVersions and SASL). The server refuses an API that is in neither, and a
test keeps every route in one of them.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import CloseConnection
from engine.api.metadata import NO_OPS, error_entry
from engine.broker import Broker, topic_name_problem
from engine.protocol.codec import field
from engine.security.acl import CLUSTER_NAME, Operation, ResourceType, bitfield
from engine.security.authorizer import Authorizer

TOPIC_AUTH, GROUP_AUTH, CLUSTER_AUTH, TXN_AUTH = 29, 30, 31, 53
OPERATION_NOT_ATTEMPTED = 55
MESSAGES = {TOPIC_AUTH: "Topic authorization failed.", GROUP_AUTH: "Group authorization failed.",
            CLUSTER_AUTH: "Cluster authorization failed.", TXN_AUTH: "Transactional Id authorization failed."}
R, W, D = Operation.READ, Operation.WRITE, Operation.DESCRIBE
TOPIC, GROUP, CLUSTER = ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER
TXN_ID = ResourceType.TRANSACTIONAL_ID
ZERO_UUID = uuid.UUID(int=0)

Body = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Authz:
    """Who asks (principal, client IP) and what the broker holds, for one request."""

    authorizer: Authorizer
    principal: str
    host: str
    broker: Broker

    def allowed(self, op: Operation, rtype: ResourceType, name: str) -> bool:
        return self.authorizer.authorize(self.principal, self.host, op, rtype, name)

    def cluster(self, op: Operation) -> bool:
        return self.allowed(op, CLUSTER, CLUSTER_NAME)

    def ops(self, rtype: ResourceType, name: str) -> int:
        return bitfield(self.authorizer.authorized_operations(self.principal, self.host, rtype, name))


@dataclasses.dataclass
class Decision:
    request: Any
    respond: Body | None = None  # answer this now; the handler is not called
    after: Callable[[Body | None], Body | None] | None = None  # complete the handler's answer


Gate = Callable[[Authz, int, Any], Decision]


def _split(az: Authz, items: Iterable[Any], op: Operation, name: Callable[[Any], str],
           rtype: ResourceType = TOPIC) -> tuple[list[Any], list[Any]]:
    kept: list[Any] = []
    refused: list[Any] = []
    verdicts: dict[str, bool] = {}
    for item in items:
        n = name(item)
        if n not in verdicts:
            verdicts[n] = az.allowed(op, rtype, n)
        (kept if verdicts[n] else refused).append(item)
    return kept, refused


def _replace(req: Any, **changes: Any) -> Any:
    return dataclasses.replace(req, **{k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()})


def _append(key: str, extra: list[Body]) -> Callable[[Body | None], Body | None]:
    def after(body: Body | None) -> Body | None:
        if body is not None and extra:
            body[key] = [*body[key], *extra]
        return body
    return after


def _parts(indexes: Iterable[int], code: int, **fields: Any) -> list[Body]:
    return [{"partition_index": int(i), "error_code": code, **fields} for i in indexes]


def _in_order(entries: list[Body], key: str, order: list[Any]) -> list[Body]:
    rank = {k: n for n, k in enumerate(order)}
    return sorted(entries, key=lambda e: rank.get(e.get(key), len(rank)))


# -- produce and consume ----------------------------------------------------------------

def _produce_errors(topics: Iterable[Any], code: int) -> list[Body]:
    return [{"name": t.name, "partition_responses": [
        {"index": int(p.index), "error_code": code, "base_offset": -1, "log_append_time": -1, "log_start_offset": -1}
        for p in t.partition_data]} for t in topics]


def produce(az: Authz, v: int, req: Any) -> Decision:
    txn = field(req, "transactional_id")
    if txn is not None and not az.allowed(W, TXN_ID, txn):
        if int(req.acks) == 0:
            raise CloseConnection("produce with acks=0 by a principal not authorized for its transactional id")
        return Decision(req, respond={"throttle_time": 0, "responses": _produce_errors(req.topic_data, TXN_AUTH)})
    kept, refused = _split(az, req.topic_data, W, lambda t: t.name)
    if not refused:
        return Decision(req)
    entries = _produce_errors(refused, TOPIC_AUTH)

    def after(body: Body | None) -> Body | None:
        if body is None:  # acks=0: Kafka closes the connection when a partition failed
            raise CloseConnection("acks=0 produce to a topic the principal may not write")
        body["responses"] = [*body["responses"], *entries]
        return body
    if not kept:
        if int(req.acks) == 0:
            raise CloseConnection("acks=0 produce to a topic the principal may not write")
        return Decision(req, respond={"throttle_time": 0, "responses": entries})
    return Decision(_replace(req, topic_data=kept), after=after)


def _fetch_topic_name(az: Authz, t: Any) -> str:
    name = field(t, "topic")
    if name:
        return str(name)
    rec = az.broker.topic_by_id(field(t, "topic_id", ZERO_UUID))
    return rec.name if rec is not None else ""


def fetch(az: Authz, v: int, req: Any) -> Decision:
    replica = int(field(req, "replica_id", -1))
    state = field(req, "replica_state")
    if state is not None:
        replica = max(replica, int(state.replica_id))
    kept: list[Any]
    refused: list[Any]
    if replica >= 0:
        if az.cluster(Operation.CLUSTER_ACTION):
            return Decision(req)
        kept, refused = [], list(req.topics)
    else:
        kept, refused = _split(az, req.topics, R, lambda t: _fetch_topic_name(az, t) or "\0unknown id")
        # an unknown topic id is the handler's to answer (UNKNOWN_TOPIC_ID)
        kept += [t for t in refused if not _fetch_topic_name(az, t)]
        refused = [t for t in refused if _fetch_topic_name(az, t)]
    if not refused:
        return Decision(req)
    entries = [{"topic": _fetch_topic_name(az, t), "topic_id": field(t, "topic_id", ZERO_UUID), "partitions": [
        {"partition_index": int(p.partition), "error_code": TOPIC_AUTH, "high_watermark": -1,
         "last_stable_offset": -1, "log_start_offset": -1, "aborted_transactions": None,
         "preferred_read_replica": -1, "records": b""} for p in t.partitions]} for t in refused]
    return Decision(_replace(req, topics=kept), after=_append("responses", entries))


def list_offsets(az: Authz, v: int, req: Any) -> Decision:
    kept, refused = _split(az, req.topics, D, lambda t: t.name)
    if not refused:
        return Decision(req)
    entries = [{"name": t.name, "partitions": _parts((p.partition_index for p in t.partitions), TOPIC_AUTH,
                                                     timestamp=-1, offset=-1, leader_epoch=-1,
                                                     old_style_offsets=[])} for t in refused]
    return Decision(_replace(req, topics=kept), after=_append("topics", entries))


def offset_for_leader_epoch(az: Authz, v: int, req: Any) -> Decision:
    if az.cluster(Operation.CLUSTER_ACTION):
        return Decision(req)
    kept, refused = _split(az, req.topics, D, lambda t: t.topic)
    if not refused:
        return Decision(req)
    entries = [{"topic": t.topic, "partitions": [
        {"error_code": TOPIC_AUTH, "partition": int(p.partition), "leader_epoch": -1, "end_offset": -1}
        for p in t.partitions]} for t in refused]
    return Decision(_replace(req, topics=kept), after=_append("topics", entries))


# -- metadata ---------------------------------------------------------------------------

def metadata(az: Authz, v: int, req: Any) -> Decision:
    requested = field(req, "topics")
    all_topics = requested is None or (v == 0 and not requested)
    refused: list[Body] = []
    kept: list[Any] = []
    if not all_topics:
        broker = az.broker
        may_create = bool(field(req, "allow_auto_topic_creation", True)) and bool(
            broker.config["auto.create.topics.enable"])
        cluster_create: bool | None = None
        for t in requested:
            name, topic_id = field(t, "name"), field(t, "topic_id")
            if name is None and topic_id is not None and topic_id.int != 0:
                rec = broker.topic_by_id(topic_id)
                if rec is not None and not az.allowed(D, TOPIC, rec.name):
                    # the id is not secret (it was sent), the name is
                    refused.append(error_entry(None, ErrorCode.topic_authorization_failed, topic_id))
                    continue
                kept.append(t)
                continue
            if not az.allowed(D, TOPIC, name or ""):
                refused.append(error_entry(name, ErrorCode.topic_authorization_failed))
                continue
            if name not in broker.topics and may_create and not topic_name_problem(name or ""):
                if cluster_create is None:
                    cluster_create = az.cluster(Operation.CREATE)
                if not cluster_create and not az.allowed(Operation.CREATE, TOPIC, name or ""):
                    refused.append(error_entry(name, ErrorCode.topic_authorization_failed))
                    continue
            kept.append(t)
    topic_ops = bool(field(req, "include_topic_authorized_operations", False))
    cluster_ops = bool(field(req, "include_cluster_authorized_operations", False))

    def after(body: Body | None) -> Body | None:
        assert body is not None
        topics = body["topics"]
        if all_topics:
            topics = [t for t in topics if az.allowed(D, TOPIC, t["name"])]
        elif v == 0 and not kept:
            topics = []  # an empty v0 list means "all topics" to the handler, but here every one was refused
        if topic_ops:
            for t in topics:
                if int(t["error_code"]) == 0:
                    t["topic_authorized_operations"] = az.ops(TOPIC, t["name"])
        body["topics"] = [*topics, *refused]
        if cluster_ops:
            body["cluster_authorized_operations"] = az.ops(CLUSTER, CLUSTER_NAME) if az.cluster(D) else 0
        return body
    request = req if all_topics or not refused else _replace(req, topics=kept)
    return Decision(request, after=after)


# -- groups -----------------------------------------------------------------------------

def _group_only(code_body: Callable[[Any], Body]) -> Gate:
    def gate(az: Authz, v: int, req: Any) -> Decision:
        if az.allowed(R, GROUP, req.group_id):
            return Decision(req)
        return Decision(req, respond={"throttle_time": 0, "error_code": GROUP_AUTH, **code_body(req)})
    return gate


join_group = _group_only(lambda req: {"generation_id": -1, "protocol_name": "", "leader": "", "member_id": "",
                                      "members": []})
sync_group = _group_only(lambda req: {"assignment": b"", "protocol_type": None, "protocol_name": None})
heartbeat = _group_only(lambda req: {})
leave_group = _group_only(lambda req: {"members": []})


def offset_commit(az: Authz, v: int, req: Any) -> Decision:
    return _commit_offsets(az, req, [(R, GROUP, req.group_id, GROUP_AUTH)])


def _commit_offsets(az: Authz, req: Any, whole: list[tuple[Operation, ResourceType, str, int]]) -> Decision:
    """OffsetCommit and TxnOffsetCommit: each of `whole` (operation, resource type, name, error) must be allowed or
    every partition gets that error; then topics without READ get TOPIC_AUTHORIZATION_FAILED and the rest go on."""
    for op, rtype, name, code in whole:
        if not az.allowed(op, rtype, name):
            return Decision(req, respond={"throttle_time": 0, "topics": [
                {"name": t.name, "partitions": _parts((p.partition_index for p in t.partitions), code)}
                for t in req.topics]})
    kept, refused = _split(az, req.topics, R, lambda t: t.name)
    if not refused:
        return Decision(req)
    entries = [{"name": t.name, "partitions": _parts((p.partition_index for p in t.partitions), TOPIC_AUTH)}
               for t in refused]
    if not kept:
        return Decision(req, respond={"throttle_time": 0, "topics": entries})
    return Decision(_replace(req, topics=kept), after=_append("topics", entries))


def _fetch_offsets_topics(az: Authz, topics: Any) -> tuple[Any, list[Body]]:
    """The topics of one group's offset fetch that may be described, and error entries for the others."""
    if topics is None:
        return None, []
    kept, refused = _split(az, topics, D, lambda t: t.name)
    return tuple(kept), [{"name": t.name, "partitions": _parts(t.partition_indexes, TOPIC_AUTH, committed_offset=-1,
                                                               committed_leader_epoch=-1, metadata="")}
                         for t in refused]


def _visible_topics(az: Authz, topics: list[Body], all_partitions: bool, refused: list[Body]) -> list[Body]:
    if all_partitions:
        return [t for t in topics if az.allowed(D, TOPIC, t["name"])]
    return [*topics, *refused]


def offset_fetch(az: Authz, v: int, req: Any) -> Decision:
    if v < 8:
        if not az.allowed(D, GROUP, req.group_id):
            if v < 2:
                return Decision(req, respond={"throttle_time": 0, "topics": [
                    {"name": t.name, "partitions": _parts(t.partition_indexes, GROUP_AUTH, committed_offset=-1,
                                                          metadata="")} for t in req.topics or ()]})
            return Decision(req, respond={"throttle_time": 0, "error_code": GROUP_AUTH, "topics": []})
        kept, refused = _fetch_offsets_topics(az, req.topics)
        all_partitions = req.topics is None

        def after_one(body: Body | None) -> Body | None:
            assert body is not None
            if int(body.get("error_code", 0)) == 0:
                body["topics"] = _visible_topics(az, body["topics"], all_partitions, refused)
            return body
        return Decision(req if kept is None else _replace(req, topics=kept), after=after_one)
    groups, denied, refused_topics = [], {}, {}
    for g in req.groups:
        if not az.allowed(D, GROUP, g.group_id):
            denied[g.group_id] = {"group_id": g.group_id, "topics": [], "error_code": GROUP_AUTH}
            continue
        kept, refused = _fetch_offsets_topics(az, g.topics)
        refused_topics[g.group_id] = (g.topics is None, refused)
        groups.append(g if kept is None else dataclasses.replace(g, topics=kept))
    order = [g.group_id for g in req.groups]
    if not groups:
        return Decision(req, respond={"throttle_time": 0,
                                      "groups": _in_order(list(denied.values()), "group_id", order)})

    def after(body: Body | None) -> Body | None:
        assert body is not None
        for g in body["groups"]:
            all_partitions, refused = refused_topics.get(g["group_id"], (False, []))
            if int(g.get("error_code", 0)) == 0:
                g["topics"] = _visible_topics(az, g["topics"], all_partitions, refused)
        body["groups"] = _in_order([*body["groups"], *denied.values()], "group_id", order)
        return body
    return Decision(_replace(req, groups=groups), after=after)


def find_coordinator(az: Authz, v: int, req: Any) -> Decision:
    key_type = int(field(req, "key_type", 0))
    rtype, code = (GROUP, GROUP_AUTH) if key_type == 0 else (TXN_ID, TXN_AUTH)
    refused_entry = {"node_id": -1, "host": "", "port": -1, "error_code": code, "error_message": MESSAGES[code]}
    if v < 4:
        if az.allowed(D, rtype, req.key):
            return Decision(req)
        return Decision(req, respond={"throttle_time": 0, **refused_entry})
    keys = list(req.coordinator_keys)
    kept, refused = _split(az, keys, D, str, rtype)
    if not refused:
        return Decision(req)
    entries = [{"key": k, **refused_entry} for k in refused]
    if not kept:
        return Decision(req, respond={"throttle_time": 0, "coordinators": entries})

    def after(body: Body | None) -> Body | None:
        assert body is not None
        body["coordinators"] = _in_order([*body["coordinators"], *entries], "key", keys)
        return body
    return Decision(_replace(req, coordinator_keys=kept), after=after)


def describe_groups(az: Authz, v: int, req: Any) -> Decision:
    ids = list(req.groups)
    kept, refused = _split(az, ids, D, str, GROUP)
    with_ops = bool(field(req, "include_authorized_operations", False))
    entries = [{"error_code": GROUP_AUTH, "group_id": g, "group_state": "", "protocol_type": "", "protocol_data": "",
                "members": [], "authorized_operations": NO_OPS} for g in refused]
    if not kept:
        return Decision(req, respond={"throttle_time": 0, "groups": entries})
    if not refused and not with_ops:
        return Decision(req)

    def after(body: Body | None) -> Body | None:
        assert body is not None
        if with_ops:
            for g in body["groups"]:
                g["authorized_operations"] = az.ops(GROUP, g["group_id"])
        body["groups"] = _in_order([*body["groups"], *entries], "group_id", ids)
        return body
    return Decision(_replace(req, groups=kept) if refused else req, after=after)


def list_groups(az: Authz, v: int, req: Any) -> Decision:
    if az.cluster(D):
        return Decision(req)

    def after(body: Body | None) -> Body | None:
        assert body is not None
        body["groups"] = [g for g in body["groups"] if az.allowed(D, GROUP, g["group_id"])]
        return body
    return Decision(req, after=after)


def delete_groups(az: Authz, v: int, req: Any) -> Decision:
    ids = list(req.groups_names)
    kept, refused = _split(az, ids, Operation.DELETE, str, GROUP)
    if not refused:
        return Decision(req)
    entries = [{"group_id": g, "error_code": GROUP_AUTH} for g in refused]
    if not kept:
        return Decision(req, respond={"throttle_time": 0, "results": entries})
    return Decision(_replace(req, groups_names=kept), after=_append("results", entries))


def offset_delete(az: Authz, v: int, req: Any) -> Decision:
    if not az.allowed(Operation.DELETE, GROUP, req.group_id):
        return Decision(req, respond={"throttle_time": 0, "error_code": GROUP_AUTH, "topics": []})
    kept, refused = _split(az, req.topics, R, lambda t: t.name)
    if not refused:
        return Decision(req)
    entries = [{"name": t.name, "partitions": _parts((p.partition_index for p in t.partitions), TOPIC_AUTH)}
               for t in refused]
    return Decision(_replace(req, topics=kept), after=_append("topics", entries))


# -- topics administration ----------------------------------------------------------------

def create_topics(az: Authz, v: int, req: Any) -> Decision:
    names = [t.name for t in req.topics]
    cluster_create = az.cluster(Operation.CREATE)
    may_describe = {n: az.allowed(Operation.DESCRIBE_CONFIGS, TOPIC, n) for n in set(names)}
    kept: list[Any] = []
    refused: list[Any] = []
    for t in req.topics:
        duplicate = names.count(t.name) > 1  # the handler answers INVALID_REQUEST, before authorization as Kafka
        (kept if duplicate or cluster_create or az.allowed(Operation.CREATE, TOPIC, t.name) else refused).append(t)
    if not refused and all(may_describe.values()):
        return Decision(req)
    entries = [{"name": t.name, "topic_id": ZERO_UUID, "error_code": TOPIC_AUTH,
                "error_message": "Authorization failed.",
                "topic_config_error_code": 0 if may_describe[t.name] else TOPIC_AUTH,
                "num_partitions": -1, "replication_factor": -1, "configs": None} for t in refused]

    def after(body: Body | None) -> Body | None:
        assert body is not None
        for t in body["topics"]:
            if not may_describe.get(t["name"], True) and int(t["error_code"]) == 0:
                t.update(configs=[], topic_config_error_code=TOPIC_AUTH)
        body["topics"] = _in_order([*body["topics"], *entries], "name", names)
        return body
    if not kept:
        return Decision(req, respond=after({"throttle_time": 0, "topics": []}))
    return Decision(_replace(req, topics=kept) if refused else req, after=after)


def delete_topics(az: Authz, v: int, req: Any) -> Decision:
    broker = az.broker
    if not broker.config["delete.topic.enable"]:
        return Decision(req)  # TOPIC_DELETION_DISABLED comes first, as in Kafka
    by_name = field(req, "topic_names") is not None
    items = list(req.topic_names) if by_name else list(req.topics)
    kept: list[Any] = []
    entries: list[Body] = []
    for item in items:
        name = item if by_name else field(item, "name")
        topic_id = None if by_name else field(item, "topic_id")
        if name is None and topic_id is not None and topic_id.int != 0:
            rec = broker.topic_by_id(topic_id)
            if rec is None:
                kept.append(item)
                continue
            if not az.allowed(D, TOPIC, rec.name):
                entries.append({"name": None, "topic_id": topic_id, "error_code": TOPIC_AUTH, "error_message": None})
                continue
            name = rec.name
        if not az.allowed(Operation.DELETE, TOPIC, name or ""):
            entries.append({"name": name, "topic_id": topic_id or ZERO_UUID, "error_code": TOPIC_AUTH,
                            "error_message": None})
            continue
        kept.append(item)
    if not entries:
        return Decision(req)
    if not kept:
        return Decision(req, respond={"throttle_time": 0, "responses": entries})
    changed = _replace(req, topic_names=kept) if by_name else _replace(req, topics=kept)
    return Decision(changed, after=_append("responses", entries))


def create_partitions(az: Authz, v: int, req: Any) -> Decision:
    kept, refused = _split(az, req.topics, Operation.ALTER, lambda t: t.name)
    if not refused:
        return Decision(req)
    entries = [{"name": t.name, "error_code": TOPIC_AUTH, "error_message": "The topic authorization is failed."}
               for t in refused]
    if not kept:
        return Decision(req, respond={"throttle_time": 0, "results": entries})
    return Decision(_replace(req, topics=kept), after=_append("results", entries))


def delete_records(az: Authz, v: int, req: Any) -> Decision:
    kept, refused = _split(az, req.topics, Operation.DELETE, lambda t: t.name)
    if not refused:
        return Decision(req)
    entries = [{"name": t.name, "partitions": _parts((p.partition_index for p in t.partitions), TOPIC_AUTH,
                                                     low_watermark=-1)} for t in refused]
    return Decision(_replace(req, topics=kept), after=_append("topics", entries))


# -- configs ----------------------------------------------------------------------------

CONFIG_TOPIC, CONFIG_BROKER, CONFIG_BROKER_LOGGER = 2, 4, 8


def _config_allowed(az: Authz, op: Operation, rtype: int, name: str) -> int:
    """0 when the resource's configs may be used with op, else the error code."""
    if rtype == CONFIG_TOPIC:
        return 0 if az.allowed(op, TOPIC, name) else TOPIC_AUTH
    if rtype in (CONFIG_BROKER, CONFIG_BROKER_LOGGER):
        return 0 if az.cluster(op) else CLUSTER_AUTH
    return 0


def _configs_gate(op: Operation, key: str, extra: Body) -> Gate:
    def gate(az: Authz, v: int, req: Any) -> Decision:
        kept: list[Any] = []
        entries: list[Body] = []
        for r in req.resources:
            code = _config_allowed(az, op, int(r.resource_type), r.resource_name)
            if code:
                entries.append({"error_code": code, "error_message": MESSAGES[code],
                                "resource_type": int(r.resource_type), "resource_name": r.resource_name, **extra})
            else:
                kept.append(r)
        if not entries:
            return Decision(req)
        order = [(int(r.resource_type), r.resource_name) for r in req.resources]
        rank = {k: n for n, k in enumerate(order)}

        def after(body: Body | None) -> Body | None:
            assert body is not None
            body[key] = sorted([*body[key], *entries],
                               key=lambda e: rank.get((int(e["resource_type"]), e["resource_name"]), 0))
            return body
        if not kept:
            return Decision(req, respond=after({"throttle_time": 0, key: []}))
        return Decision(_replace(req, resources=kept), after=after)
    return gate


describe_configs = _configs_gate(Operation.DESCRIBE_CONFIGS, "results", {"configs": []})
alter_configs = _configs_gate(Operation.ALTER_CONFIGS, "responses", {})


# -- cluster ----------------------------------------------------------------------------

def _cluster_only(op: Operation, error_body: Callable[[Any], Body]) -> Gate:
    def gate(az: Authz, v: int, req: Any) -> Decision:
        if az.cluster(op):
            return Decision(req)
        return Decision(req, respond={"throttle_time": 0, **error_body(req)})
    return gate


def _cluster_error(**extra: Any) -> Body:
    return {"error_code": CLUSTER_AUTH, "error_message": MESSAGES[CLUSTER_AUTH], **extra}


describe_log_dirs = _cluster_only(D, lambda req: {"error_code": CLUSTER_AUTH, "results": []})
describe_acls = _cluster_only(D, lambda req: _cluster_error(resources=[]))
create_acls = _cluster_only(Operation.ALTER, lambda req: {"results": [_cluster_error() for _ in req.creations]})
delete_acls = _cluster_only(Operation.ALTER, lambda req: {"filter_results": [
    _cluster_error(matching_acls=[]) for _ in req.filters]})
describe_scram = _cluster_only(D, lambda req: _cluster_error(results=[]))
describe_client_quotas = _cluster_only(Operation.DESCRIBE_CONFIGS, lambda req: _cluster_error(entries=None))
alter_scram = _cluster_only(Operation.ALTER, lambda req: {"results": [
    {"user": user, **_cluster_error()} for user in dict.fromkeys(
        [d.name for d in req.deletions] + [u.name for u in req.upsertions])]})


def describe_cluster(az: Authz, v: int, req: Any) -> Decision:
    if not field(req, "include_cluster_authorized_operations", False):
        return Decision(req)

    def after(body: Body | None) -> Body | None:
        assert body is not None
        body["cluster_authorized_operations"] = az.ops(CLUSTER, CLUSTER_NAME) if az.cluster(D) else 0
        return body
    return Decision(req, after=after)


def init_producer_id(az: Authz, v: int, req: Any) -> Decision:
    txn = field(req, "transactional_id")
    if txn is not None:
        ok, code = az.allowed(W, TXN_ID, txn), TXN_AUTH
    else:
        ok, code = (az.cluster(Operation.IDEMPOTENT_WRITE) or az.authorizer.authorize_by_resource_type(
            az.principal, az.host, W, TOPIC)), CLUSTER_AUTH
    if ok:
        return Decision(req)
    return Decision(req, respond={"throttle_time": 0, "error_code": code, "producer_id": -1, "producer_epoch": -1})


# -- transactions (KIP-98 APIs; checked here for when the broker serves them) ------------

def _txn_only(extra: Callable[[Any], Body]) -> Gate:
    def gate(az: Authz, v: int, req: Any) -> Decision:
        if az.allowed(W, TXN_ID, req.transactional_id):
            return Decision(req)
        return Decision(req, respond={"throttle_time": 0, "error_code": TXN_AUTH, **extra(req)})
    return gate


end_txn = _txn_only(lambda req: {"producer_id": -1, "producer_epoch": -1})
_add_offsets_txn = _txn_only(lambda req: {})


def add_offsets_to_txn(az: Authz, v: int, req: Any) -> Decision:
    decision = _add_offsets_txn(az, v, req)
    if decision.respond is None and not az.allowed(R, GROUP, req.group_id):
        return Decision(req, respond={"throttle_time": 0, "error_code": GROUP_AUTH})
    return decision


def add_partitions_to_txn(az: Authz, v: int, req: Any) -> Decision:
    if v >= 4:  # from brokers only
        if az.cluster(Operation.CLUSTER_ACTION):
            return Decision(req)
        return Decision(req, respond={"throttle_time": 0, "error_code": CLUSTER_AUTH, "results_by_transaction": []})

    def results(code_of: Callable[[str], int]) -> Body:
        return {"throttle_time": 0, "results_by_topic_v3_and_below": [
            {"name": t.name, "results_by_partition": [
                {"partition_index": int(p), "partition_error_code": code_of(t.name)} for p in t.partitions]}
            for t in req.v3_and_below_topics]}
    if not az.allowed(W, TXN_ID, req.v3_and_below_transactional_id):
        return Decision(req, respond=results(lambda _n: TXN_AUTH))
    _kept, refused = _split(az, req.v3_and_below_topics, W, lambda t: t.name)
    if not refused:
        return Decision(req)
    denied = {t.name for t in refused}
    return Decision(req, respond=results(lambda n: TOPIC_AUTH if n in denied else OPERATION_NOT_ATTEMPTED))


def txn_offset_commit(az: Authz, v: int, req: Any) -> Decision:
    return _commit_offsets(az, req, [(W, TXN_ID, req.transactional_id, TXN_AUTH),
                                     (R, GROUP, req.group_id, GROUP_AUTH)])


def describe_producers(az: Authz, v: int, req: Any) -> Decision:
    kept, refused = _split(az, req.topics, R, lambda t: t.name)
    if not refused:
        return Decision(req)
    entries = [{"name": t.name, "partitions": _parts(t.partition_indexes, TOPIC_AUTH, error_message=None,
                                                     active_producers=[])} for t in refused]
    return Decision(_replace(req, topics=kept), after=_append("topics", entries))


def describe_transactions(az: Authz, v: int, req: Any) -> Decision:
    ids = list(req.transactional_ids)
    kept, refused = _split(az, ids, D, str, TXN_ID)
    if not refused:
        return Decision(req)
    entries = [{"error_code": TXN_AUTH, "transactional_id": t, "transaction_state": "", "producer_id": -1,
                "producer_epoch": -1, "topics": []} for t in refused]
    return Decision(_replace(req, transactional_ids=kept), after=_append("transaction_states", entries))


def list_transactions(az: Authz, v: int, req: Any) -> Decision:
    def after(body: Body | None) -> Body | None:
        assert body is not None
        body["transaction_states"] = [s for s in body["transaction_states"]
                                      if az.allowed(D, TXN_ID, s["transactional_id"])]
        return body
    return Decision(req, after=after)


# -- the table ----------------------------------------------------------------------------

# The inter-broker requests of ZooKeeper mode: CLUSTER_ACTION on the cluster, as Kafka's KafkaApis checks them.
# (ZooKeeper mode refuses an authorizer at start for now, so these answer a lone broker's strangers.)
def _inter_broker(error_body: Callable[[Any], Body]) -> Gate:
    def gate(az: Authz, v: int, req: Any) -> Decision:
        if az.cluster(Operation.CLUSTER_ACTION):
            return Decision(req)
        return Decision(req, respond={"error_code": CLUSTER_AUTH, **error_body(req)})
    return gate


leader_and_isr = _inter_broker(lambda req: {"topics": []})
stop_replica = _inter_broker(lambda req: {"partition_errors": []})
update_metadata = _inter_broker(lambda req: {})
controlled_shutdown = _inter_broker(lambda req: {"remaining_partitions": []})
alter_partition = _inter_broker(lambda req: {"throttle_time": 0, "topics": []})
allocate_producer_ids = _inter_broker(lambda req: {"throttle_time": 0, "producer_id_start": -1,
                                                   "producer_id_len": 0})

NO_CHECK = frozenset({17, 18, 36})  # SaslHandshake, ApiVersions, SaslAuthenticate: Kafka never authorizes them

GATES: dict[int, Gate] = {
    4: leader_and_isr, 5: stop_replica, 6: update_metadata, 7: controlled_shutdown, 56: alter_partition,
    67: allocate_producer_ids,
    0: produce, 1: fetch, 2: list_offsets, 3: metadata, 8: offset_commit, 9: offset_fetch, 10: find_coordinator,
    11: join_group, 12: heartbeat, 13: leave_group, 14: sync_group, 15: describe_groups, 16: list_groups,
    19: create_topics, 20: delete_topics, 21: delete_records, 22: init_producer_id, 23: offset_for_leader_epoch,
    24: add_partitions_to_txn, 25: add_offsets_to_txn, 26: end_txn, 28: txn_offset_commit,
    29: describe_acls, 30: create_acls, 31: delete_acls, 32: describe_configs, 33: alter_configs,
    35: describe_log_dirs, 37: create_partitions, 42: delete_groups, 44: alter_configs, 47: offset_delete,
    48: describe_client_quotas,
    50: describe_scram, 51: alter_scram, 60: describe_cluster, 61: describe_producers, 65: describe_transactions,
    66: list_transactions,
}
# Without an authorizer everything is allowed; these still run to fill in "authorized operations".
WITHOUT_AUTHORIZER = frozenset({3, 15, 60})


def check(authz: Authz, api_key: int, version: int, request: Any) -> Decision:
    """The Decision for one request; CloseConnection when the API has no rule here (never serve it unchecked)."""
    if api_key in NO_CHECK or (not authz.authorizer.enabled and api_key not in WITHOUT_AUTHORIZER):
        return Decision(request)
    gate = GATES.get(api_key)
    if gate is None:
        raise CloseConnection(f"API key {api_key} has no authorization rule")
    return gate(authz, version, request)
