"""Kafka's znodes in ZooKeeper mode: paths and data, byte for byte as Kafka 3.9 (IBP 3.9-IV0) writes them.

Read back from a real Kafka 3.9.1 broker (and kafka/zk/ZkData.scala); JSON is compact, keys
in the order Kafka's encoder emits them:

    /cluster/id                        {"version":"1","id":"<22-char base64 uuid>"}   (version is a string)
    /controller            ephemeral   {"version":2,"brokerid":1,"timestamp":"<ms>","kraftControllerEpoch":-1}
    /controller_epoch                  1                                          (plain ASCII integer)
    /brokers/ids/<id>      ephemeral   {"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},
                                        "endpoints":["PLAINTEXT://h:p"],"jmx_port":-1,"port":p,"host":"h",
                                        "version":5,"timestamp":"<ms>"}           (+ "rack" when set)
    /brokers/topics/<t>                {"partitions":{"0":[1,2,3]},"topic_id":"...","adding_replicas":{},
                                        "removing_replicas":{},"version":3}
    /brokers/topics/<t>/partitions/<p>/state
                                       {"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2,3]}
                                        (+ "leader_recovery_state":1 only while RECOVERING)
    /config/topics/<t>                 {"version":1,"config":{"retention.ms":"1000"}}
    /config/changes/config_change_NNNNNNNNNN  {"version":2,"entity_path":"topics/<t>"}
    /admin/delete_topics/<t>           null
    /feature                           {"features":{},"version":2,"status":1}
    /latest_producer_id_block          {"version":1,"broker":1,"block_start":"0","block_end":"999"}

The broker epoch is the czxid of /brokers/ids/<id>; a partition's partition epoch is the
zkVersion of its state znode; the controller's fencing token is the zkVersion of
/controller_epoch. Directories Kafka creates with null data are created with null data here.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
import uuid
from typing import Any

CLUSTER_ID = "/cluster/id"
CONTROLLER = "/controller"
CONTROLLER_EPOCH = "/controller_epoch"
BROKER_IDS = "/brokers/ids"
BROKER_TOPICS = "/brokers/topics"
BROKER_SEQID = "/brokers/seqid"
CONFIG_TOPICS = "/config/topics"
CONFIG_CHANGES = "/config/changes"
CONFIG_CHANGE_PREFIX = "config_change_"
DELETE_TOPICS = "/admin/delete_topics"
ISR_CHANGE_NOTIFICATION = "/isr_change_notification"
LOG_DIR_EVENT_NOTIFICATION = "/log_dir_event_notification"
FEATURE = "/feature"
PRODUCER_ID_BLOCK = "/latest_producer_id_block"
PRODUCER_ID_BLOCK_SIZE = 1000

# Every broker creates these at start-up when missing (ZkData's PersistentZkPaths, in Kafka's order)
PERSISTENT_PATHS = (
    "/consumers", BROKER_IDS, BROKER_TOPICS, CONFIG_CHANGES, DELETE_TOPICS, BROKER_SEQID, ISR_CHANGE_NOTIFICATION,
    PRODUCER_ID_BLOCK, LOG_DIR_EVENT_NOTIFICATION, CONFIG_TOPICS, "/config/clients", "/config/users",
    "/config/brokers", "/config/ips",
)

NO_LEADER = -1
LEADER_DURING_DELETE = -2  # UpdateMetadata only, never written
RECOVERED, RECOVERING = 0, 1


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _loads(data: bytes | None) -> Any:
    if not data:
        return None
    return json.loads(data.decode())


def uuid_to_kafka(u: uuid.UUID) -> str:
    """Kafka's Uuid.toString: URL-safe base64 of the 16 bytes, no padding."""
    return base64.urlsafe_b64encode(u.bytes).rstrip(b"=").decode()


def kafka_to_uuid(s: str) -> uuid.UUID:
    return uuid.UUID(bytes=base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))


def now_ms() -> str:
    return str(int(time.time() * 1000))


# -- /cluster/id -------------------------------------------------------------------------------
def cluster_id_data(cluster_id: str) -> bytes:
    return _dumps({"version": "1", "id": cluster_id})


def parse_cluster_id(data: bytes | None) -> str:
    return str(_loads(data)["id"])


# -- /controller, /controller_epoch -----------------------------------------------------------
def controller_data(broker_id: int) -> bytes:
    return _dumps({"version": 2, "brokerid": broker_id, "timestamp": now_ms(), "kraftControllerEpoch": -1})


def parse_controller(data: bytes | None) -> int | None:
    doc = _loads(data)
    return None if doc is None else int(doc["brokerid"])


def controller_epoch_data(epoch: int) -> bytes:
    return str(epoch).encode()


def parse_controller_epoch(data: bytes | None) -> int:
    return int((data or b"0").decode())


# -- /brokers/ids/<id> -------------------------------------------------------------------------
def broker_path(broker_id: int) -> str:
    return f"{BROKER_IDS}/{broker_id}"


@dataclasses.dataclass(frozen=True)
class EndPoint:
    listener: str
    host: str
    port: int
    security_protocol: str = "PLAINTEXT"

    @property
    def connection_string(self) -> str:
        return f"{self.listener}://{self.host}:{self.port}"


@dataclasses.dataclass(frozen=True)
class BrokerRegistration:
    broker_id: int
    endpoints: tuple[EndPoint, ...]
    rack: str | None = None
    epoch: int = -1  # the znode's czxid, filled in when read

    def endpoint(self, listener: str | None) -> EndPoint:
        for ep in self.endpoints:
            if listener is None or ep.listener == listener:
                return ep
        return self.endpoints[0]


def broker_data(reg: BrokerRegistration) -> bytes:
    plaintext = next((e for e in reg.endpoints if e.security_protocol == "PLAINTEXT"), None)
    doc: dict[str, Any] = {
        "features": {},
        "listener_security_protocol_map": {e.listener: e.security_protocol for e in reg.endpoints},
        "endpoints": [e.connection_string for e in reg.endpoints],
        "jmx_port": -1,
        "port": plaintext.port if plaintext else -1,
        "host": plaintext.host if plaintext else None,
        "version": 5,
        "timestamp": now_ms(),
    }
    if reg.rack is not None:
        doc["rack"] = reg.rack
    return _dumps(doc)


def parse_broker(broker_id: int, data: bytes | None, czxid: int) -> BrokerRegistration:
    doc = _loads(data) or {}
    protocols = doc.get("listener_security_protocol_map") or {}
    endpoints = []
    for item in doc.get("endpoints") or []:
        listener, _, hostport = str(item).partition("://")
        host, _, port = hostport.rpartition(":")
        endpoints.append(EndPoint(listener, host.strip("[]"), int(port), protocols.get(listener, listener)))
    if not endpoints and doc.get("host"):
        endpoints.append(EndPoint("PLAINTEXT", str(doc["host"]), int(doc["port"])))
    return BrokerRegistration(broker_id, tuple(endpoints), doc.get("rack"), czxid)


# -- /brokers/topics/<t> -------------------------------------------------------------------------
def topic_path(topic: str) -> str:
    return f"{BROKER_TOPICS}/{topic}"


def partitions_path(topic: str) -> str:
    return f"{BROKER_TOPICS}/{topic}/partitions"


def partition_path(topic: str, partition: int) -> str:
    return f"{BROKER_TOPICS}/{topic}/partitions/{partition}"


def state_path(topic: str, partition: int) -> str:
    return f"{BROKER_TOPICS}/{topic}/partitions/{partition}/state"


@dataclasses.dataclass(frozen=True)
class TopicAssignment:
    topic: str
    partitions: dict[int, list[int]]
    topic_id: uuid.UUID | None


def topic_data(assignment: dict[int, list[int]], topic_id: uuid.UUID | None) -> bytes:
    doc: dict[str, Any] = {"partitions": {str(p): list(r) for p, r in sorted(assignment.items())}}
    if topic_id is not None:
        doc["topic_id"] = uuid_to_kafka(topic_id)
    doc["adding_replicas"] = {}
    doc["removing_replicas"] = {}
    doc["version"] = 3
    return _dumps(doc)


def parse_topic(topic: str, data: bytes | None) -> TopicAssignment:
    doc = _loads(data) or {}
    parts = {int(p): [int(b) for b in r] for p, r in (doc.get("partitions") or {}).items()}
    tid = doc.get("topic_id")
    return TopicAssignment(topic, parts, kafka_to_uuid(tid) if tid else None)


# -- partition state ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class LeaderAndIsr:
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    controller_epoch: int
    partition_epoch: int = 0  # the state znode's zkVersion
    recovery_state: int = RECOVERED

    def new_leader(self, leader: int, isr: tuple[int, ...], controller_epoch: int,
                   recovery_state: int | None = None) -> LeaderAndIsr:
        """An election: leader and ISR given, the leader epoch one higher."""
        return dataclasses.replace(self, leader=leader, leader_epoch=self.leader_epoch + 1, isr=isr,
                                   controller_epoch=controller_epoch,
                                   recovery_state=self.recovery_state if recovery_state is None else recovery_state)


def state_data(s: LeaderAndIsr) -> bytes:
    doc: dict[str, Any] = {"controller_epoch": s.controller_epoch, "leader": s.leader, "version": 1,
                           "leader_epoch": s.leader_epoch, "isr": list(s.isr)}
    if s.recovery_state != RECOVERED:
        doc["leader_recovery_state"] = s.recovery_state
    return _dumps(doc)


def parse_state(data: bytes | None, zk_version: int) -> LeaderAndIsr:
    doc = _loads(data) or {}
    return LeaderAndIsr(int(doc["leader"]), int(doc["leader_epoch"]), tuple(int(b) for b in doc["isr"]),
                        int(doc["controller_epoch"]), zk_version, int(doc.get("leader_recovery_state", RECOVERED)))


# -- configs -----------------------------------------------------------------------------------
def topic_config_path(topic: str) -> str:
    return f"{CONFIG_TOPICS}/{topic}"


def config_data(configs: dict[str, str]) -> bytes:
    return _dumps({"version": 1, "config": dict(configs)})


def parse_config(data: bytes | None) -> dict[str, str]:
    doc = _loads(data) or {}
    return {str(k): str(v) for k, v in (doc.get("config") or {}).items()}


def config_change_data(entity_type: str, entity_name: str) -> bytes:
    return _dumps({"version": 2, "entity_path": f"{entity_type}/{entity_name}"})


def parse_config_change(data: bytes | None) -> tuple[str, str] | None:
    doc = _loads(data) or {}
    if doc.get("version") == 1:
        return str(doc["entity_type"]), str(doc["entity_name"])
    path = str(doc.get("entity_path") or "")
    kind, sep, name = path.partition("/")
    return (kind, name) if sep else None


# -- admin, features, producer ids -------------------------------------------------------------
def delete_topic_path(topic: str) -> str:
    return f"{DELETE_TOPICS}/{topic}"


def feature_data() -> bytes:
    return _dumps({"features": {}, "version": 2, "status": 1})


def producer_id_block_data(broker_id: int, start: int, end: int) -> bytes:
    return _dumps({"version": 1, "broker": broker_id, "block_start": str(start), "block_end": str(end)})


def parse_producer_id_block(data: bytes | None) -> tuple[int, int] | None:
    doc = _loads(data)
    if not doc:
        return None
    return int(doc["block_start"]), int(doc["block_end"])
