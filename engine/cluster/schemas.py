"""Schemas of the ZooKeeper-mode controller requests, which kio lacks (Kafka 4.0 removed them with ZooKeeper).

Written from Kafka 3.9's message specs (clients/src/main/resources/common/message/*.json),
for the one version each that inter-broker protocol 3.9-IV0 sends (ControllerChannelManager,
KafkaServer.controlledShutdown):

    API (key)                 version  flexible  notes
    LeaderAndIsr (4)          7        yes       TopicStates with TopicId; PartitionEpoch = state znode's zkVersion
    StopReplica (5)           4        yes       per partition LeaderEpoch and DeletePartition (KIP-570)
    UpdateMetadata (6)        8        yes       tagged Type (0 = unknown, what a ZooKeeper controller sends)
    ControlledShutdown (7)    3        yes       BrokerId, BrokerEpoch -> RemainingPartitions

The classes are ordinary kio entities (the same field metadata kio's generator writes), so
kio's readers and writers, the frame guard and the response builder take them unchanged.
AlterPartition (56), WriteTxnMarkers (27) and AllocateProducerIds (67) are still in kio.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from kio.schema.errors import ErrorCode
from kio.schema.request_header.v2.header import RequestHeader
from kio.schema.response_header.v1.header import ResponseHeader
from kio.static.constants import EntityType
from kio.static.primitive import i8, i16, i32, i64

_INT32S = tuple[i32, ...]


def _f(kafka_type: str | None, default: Any = dataclasses.MISSING, tag: int | None = None) -> Any:
    meta: dict[str, Any] = {} if kafka_type is None else {"kafka_type": kafka_type}
    if tag is not None:
        meta["tag"] = tag
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(metadata=meta, default=default)


def _entity(name: str, api_key: int, version: int, kind: EntityType, header: type,
            fields: list[tuple[str, Any, Any]]) -> type:
    cls = dataclasses.make_dataclass(name, fields, frozen=True, slots=True, kw_only=True)
    cls.__module__ = __name__
    cls.__type__ = kind  # type: ignore[attr-defined]
    cls.__version__ = i16(version)  # type: ignore[attr-defined]
    cls.__flexible__ = True  # type: ignore[attr-defined]
    cls.__api_key__ = i16(api_key)  # type: ignore[attr-defined]
    cls.__header_schema__ = header  # type: ignore[attr-defined]
    return cls


def _req(name: str, key: int, version: int, fields: list[tuple[str, Any, Any]], top: bool = False) -> type:
    return _entity(name, key, version, EntityType.request if top else EntityType.nested, RequestHeader, fields)


def _resp(name: str, key: int, version: int, fields: list[tuple[str, Any, Any]], top: bool = False) -> type:
    return _entity(name, key, version, EntityType.response if top else EntityType.nested, ResponseHeader, fields)


# -- LeaderAndIsr (4) v7 ---------------------------------------------------------------------
LEADER_AND_ISR, LEADER_AND_ISR_VERSION = 4, 7
LeaderAndIsrPartitionState = _req("LeaderAndIsrPartitionState", 4, 7, [
    ("partition_index", i32, _f("int32")),
    ("controller_epoch", i32, _f("int32")),
    ("leader", i32, _f("int32")),
    ("leader_epoch", i32, _f("int32")),
    ("isr", _INT32S, _f("int32")),
    ("partition_epoch", i32, _f("int32")),
    ("replicas", _INT32S, _f("int32")),
    ("adding_replicas", _INT32S, _f("int32", ())),
    ("removing_replicas", _INT32S, _f("int32", ())),
    ("is_new", bool, _f("bool", False)),
    ("leader_recovery_state", i8, _f("int8", i8(0))),
])
LeaderAndIsrTopicState = _req("LeaderAndIsrTopicState", 4, 7, [
    ("topic_name", str, _f("string")),
    ("topic_id", uuid.UUID, _f("uuid")),
    ("partition_states", tuple[LeaderAndIsrPartitionState, ...], _f(None)),  # type: ignore[valid-type]
])
LeaderAndIsrLiveLeader = _req("LeaderAndIsrLiveLeader", 4, 7, [
    ("broker_id", i32, _f("int32")),
    ("host_name", str, _f("string")),
    ("port", i32, _f("int32")),
])
LeaderAndIsrRequest = _req("LeaderAndIsrRequest", 4, 7, [
    ("controller_id", i32, _f("int32")),
    ("is_kraft_controller", bool, _f("bool", False)),
    ("controller_epoch", i32, _f("int32")),
    ("broker_epoch", i64, _f("int64", i64(-1))),
    ("type", i8, _f("int8")),
    ("topic_states", tuple[LeaderAndIsrTopicState, ...], _f(None)),  # type: ignore[valid-type]
    ("live_leaders", tuple[LeaderAndIsrLiveLeader, ...], _f(None)),  # type: ignore[valid-type]
], top=True)
LeaderAndIsrPartitionError = _resp("LeaderAndIsrPartitionError", 4, 7, [
    ("partition_index", i32, _f("int32")),
    ("error_code", ErrorCode, _f("error_code")),
])
LeaderAndIsrTopicError = _resp("LeaderAndIsrTopicError", 4, 7, [
    ("topic_id", uuid.UUID, _f("uuid")),
    ("partition_errors", tuple[LeaderAndIsrPartitionError, ...], _f(None)),  # type: ignore[valid-type]
])
LeaderAndIsrResponse = _resp("LeaderAndIsrResponse", 4, 7, [
    ("error_code", ErrorCode, _f("error_code")),
    ("topics", tuple[LeaderAndIsrTopicError, ...], _f(None)),  # type: ignore[valid-type]
], top=True)

# -- StopReplica (5) v4 ----------------------------------------------------------------------
STOP_REPLICA, STOP_REPLICA_VERSION = 5, 4
StopReplicaPartitionState = _req("StopReplicaPartitionState", 5, 4, [
    ("partition_index", i32, _f("int32")),
    ("leader_epoch", i32, _f("int32", i32(-1))),
    ("delete_partition", bool, _f("bool")),
])
StopReplicaTopicState = _req("StopReplicaTopicState", 5, 4, [
    ("topic_name", str, _f("string")),
    ("partition_states", tuple[StopReplicaPartitionState, ...], _f(None)),  # type: ignore[valid-type]
])
StopReplicaRequest = _req("StopReplicaRequest", 5, 4, [
    ("controller_id", i32, _f("int32")),
    ("is_kraft_controller", bool, _f("bool", False)),
    ("controller_epoch", i32, _f("int32")),
    ("broker_epoch", i64, _f("int64", i64(-1))),
    ("topic_states", tuple[StopReplicaTopicState, ...], _f(None)),  # type: ignore[valid-type]
], top=True)
StopReplicaPartitionError = _resp("StopReplicaPartitionError", 5, 4, [
    ("topic_name", str, _f("string")),
    ("partition_index", i32, _f("int32")),
    ("error_code", ErrorCode, _f("error_code")),
])
StopReplicaResponse = _resp("StopReplicaResponse", 5, 4, [
    ("error_code", ErrorCode, _f("error_code")),
    ("partition_errors", tuple[StopReplicaPartitionError, ...], _f(None)),  # type: ignore[valid-type]
], top=True)

# -- UpdateMetadata (6) v8 -------------------------------------------------------------------
UPDATE_METADATA, UPDATE_METADATA_VERSION = 6, 8
UpdateMetadataPartitionState = _req("UpdateMetadataPartitionState", 6, 8, [
    ("partition_index", i32, _f("int32")),
    ("controller_epoch", i32, _f("int32")),
    ("leader", i32, _f("int32")),
    ("leader_epoch", i32, _f("int32")),
    ("isr", _INT32S, _f("int32")),
    ("zk_version", i32, _f("int32")),
    ("replicas", _INT32S, _f("int32")),
    ("offline_replicas", _INT32S, _f("int32", ())),
])
UpdateMetadataTopicState = _req("UpdateMetadataTopicState", 6, 8, [
    ("topic_name", str, _f("string")),
    ("topic_id", uuid.UUID, _f("uuid")),
    ("partition_states", tuple[UpdateMetadataPartitionState, ...], _f(None)),  # type: ignore[valid-type]
])
UpdateMetadataEndpoint = _req("UpdateMetadataEndpoint", 6, 8, [
    ("port", i32, _f("int32")),
    ("host", str, _f("string")),
    ("listener", str, _f("string")),
    ("security_protocol", i16, _f("int16")),
])
UpdateMetadataBroker = _req("UpdateMetadataBroker", 6, 8, [
    ("id", i32, _f("int32")),
    ("endpoints", tuple[UpdateMetadataEndpoint, ...], _f(None)),  # type: ignore[valid-type]
    ("rack", str | None, _f("string")),
])
UpdateMetadataRequest = _req("UpdateMetadataRequest", 6, 8, [
    ("controller_id", i32, _f("int32")),
    ("is_kraft_controller", bool, _f("bool", False)),
    ("type", i8, _f("int8", i8(0), tag=0)),
    ("controller_epoch", i32, _f("int32")),
    ("broker_epoch", i64, _f("int64", i64(-1))),
    ("topic_states", tuple[UpdateMetadataTopicState, ...], _f(None)),  # type: ignore[valid-type]
    ("live_brokers", tuple[UpdateMetadataBroker, ...], _f(None)),  # type: ignore[valid-type]
], top=True)
UpdateMetadataResponse = _resp("UpdateMetadataResponse", 6, 8, [
    ("error_code", ErrorCode, _f("error_code")),
], top=True)

# -- ControlledShutdown (7) v3 ---------------------------------------------------------------
CONTROLLED_SHUTDOWN, CONTROLLED_SHUTDOWN_VERSION = 7, 3
ControlledShutdownRequest = _req("ControlledShutdownRequest", 7, 3, [
    ("broker_id", i32, _f("int32")),
    ("broker_epoch", i64, _f("int64", i64(-1))),
], top=True)
RemainingPartition = _resp("RemainingPartition", 7, 3, [
    ("topic_name", str, _f("string")),
    ("partition_index", i32, _f("int32")),
])
ControlledShutdownResponse = _resp("ControlledShutdownResponse", 7, 3, [
    ("error_code", ErrorCode, _f("error_code")),
    ("remaining_partitions", tuple[RemainingPartition, ...], _f(None)),  # type: ignore[valid-type]
], top=True)

SCHEMAS: dict[tuple[int, int], tuple[type, type]] = {
    (LEADER_AND_ISR, 7): (LeaderAndIsrRequest, LeaderAndIsrResponse),
    (STOP_REPLICA, 4): (StopReplicaRequest, StopReplicaResponse),
    (UPDATE_METADATA, 8): (UpdateMetadataRequest, UpdateMetadataResponse),
    (CONTROLLED_SHUTDOWN, 3): (ControlledShutdownRequest, ControlledShutdownResponse),
}


def request_schema(api_key: int, version: int) -> type | None:
    entry = SCHEMAS.get((api_key, version))
    return entry[0] if entry else None


def response_schema(api_key: int, version: int) -> type | None:
    entry = SCHEMAS.get((api_key, version))
    return entry[1] if entry else None

