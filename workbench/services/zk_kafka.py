"""Kafka's ZooKeeper layout in Kafka's own terms: what a znode under /brokers, /controller, /config, /admin means.

The layout (Kafka 2.x-3.x in ZooKeeper mode), each node JSON unless noted:
  /brokers/ids/<id>                         broker registration: host, port, endpoints, rack, timestamp (ephemeral)
  /brokers/topics/<topic>                   replica assignment {"partitions": {"0": [1, 2]}}, topic_id
  /brokers/topics/<topic>/partitions/<p>/state  leader, leader_epoch, isr, controller_epoch
  /brokers/seqid                            sequence for generated broker ids
  /controller                               the active controller's broker id (ephemeral)
  /controller_epoch                         plain integer
  /config/<topics|brokers|users|clients|ips>/<name>  dynamic config overrides {"config": {...}}
  /config/changes/config_change_<n>         change notification {"entity_path": "topics/x"}
  /admin/delete_topics/<topic>              topic marked for deletion
  /admin/reassign_partitions                reassignment in progress
  /admin/preferred_replica_election         election in progress
  /cluster/id                               {"id": "..."}
  /isr_change_notification, /log_dir_event_notification, /latest_producer_id_block, /feature
`decode(path, data)` returns a KafkaMeaning (a title and label/value rows) or None
for nodes with no Kafka meaning; it never raises on malformed data.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from typing import Any


@dataclasses.dataclass(frozen=True)
class KafkaMeaning:
    title: str
    rows: tuple[tuple[str, str], ...] = ()


def _when(ms: Any) -> str:
    try:
        stamp = datetime.datetime.fromtimestamp(int(ms) / 1000, tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return str(ms)
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def _json(data: bytes | None) -> Any:
    if not data:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _ids(values: Any) -> str:
    if not isinstance(values, list):
        return str(values)
    return ", ".join(str(v) for v in values) or "(none)"


def _broker(broker_id: str, doc: dict[str, Any]) -> KafkaMeaning:
    endpoints = doc.get("endpoints") or []
    where = f"{doc.get('host')}:{doc.get('port')}" if doc.get("host") else (endpoints[0] if endpoints else "?")
    rows = [("Broker id", broker_id), ("Address", where), ("Endpoints", ", ".join(endpoints) or "(none)"),
            ("Rack", str(doc.get("rack") or "(none)")), ("Registered", _when(doc.get("timestamp"))),
            ("Registration version", str(doc.get("version", "?")))]
    if doc.get("jmx_port", -1) not in (-1, None):
        rows.append(("JMX port", str(doc["jmx_port"])))
    protocols = doc.get("listener_security_protocol_map")
    if isinstance(protocols, dict):
        rows.append(("Listeners", ", ".join(f"{k}={v}" for k, v in protocols.items())))
    return KafkaMeaning(f"Broker {broker_id} registered at {where}", tuple(rows))


def _topic(topic: str, doc: dict[str, Any]) -> KafkaMeaning:
    parts = doc.get("partitions") or {}
    rows = [("Topic", topic), ("Topic id", str(doc.get("topic_id", "(none: created before Kafka 2.8)"))),
            ("Partitions", str(len(parts)))]
    for p in sorted(parts, key=lambda k: int(k) if str(k).isdigit() else 0):
        rows.append((f"Partition {p} replicas", _ids(parts[p])))
    for key, label in (("adding_replicas", "Adding replicas"), ("removing_replicas", "Removing replicas")):
        if doc.get(key):
            rows.append((label, json.dumps(doc[key])))
    rf = max((len(v) for v in parts.values() if isinstance(v, list)), default=0)
    return KafkaMeaning(f"Topic {topic}: {len(parts)} partitions, replication factor {rf}", tuple(rows))


def _state(topic: str, partition: str, doc: dict[str, Any]) -> KafkaMeaning:
    leader = doc.get("leader", -1)
    isr = doc.get("isr") or []
    leader_text = f"broker {leader}" if leader not in (-1, None) else "none (offline)"
    rows = (("Topic", topic), ("Partition", partition), ("Leader", leader_text),
            ("Leader epoch", str(doc.get("leader_epoch", "?"))), ("In-sync replicas (ISR)", _ids(isr)),
            ("Controller epoch", str(doc.get("controller_epoch", "?"))),
            ("Leader recovery state", str(doc.get("leader_recovery_state", 0))))
    return KafkaMeaning(f"Partition {topic}-{partition}: leader {leader_text}, ISR [{_ids(isr)}]", rows)


def decode(path: str, data: bytes | None) -> KafkaMeaning | None:
    doc = _json(data)
    parts = [p for p in path.split("/") if p]
    obj = doc if isinstance(doc, dict) else {}
    match parts:
        case ["brokers"]:
            return KafkaMeaning("Kafka brokers and topics: ids holds live broker registrations, topics the "
                                "replica assignments")
        case ["brokers", "ids"]:
            return KafkaMeaning("Live broker registrations (one ephemeral node per running broker)")
        case ["brokers", "ids", broker_id] if obj:
            return _broker(broker_id, obj)
        case ["brokers", "topics"]:
            return KafkaMeaning("Topics and their replica assignments")
        case ["brokers", "topics", topic] if obj:
            return _topic(topic, obj)
        case ["brokers", "topics", topic, "partitions"]:
            return KafkaMeaning(f"Partitions of topic {topic}")
        case ["brokers", "topics", topic, "partitions", partition]:
            return KafkaMeaning(f"Partition {topic}-{partition}")
        case ["brokers", "topics", topic, "partitions", partition, "state"] if obj:
            return _state(topic, partition, obj)
        case ["brokers", "seqid"]:
            return KafkaMeaning("Sequence for generated broker ids (its version is the last id handed out)")
        case ["controller"] if obj:
            broker = obj.get("brokerid", -1)
            return KafkaMeaning(f"The active controller is broker {broker}",
                                (("Controller broker id", str(broker)), ("Elected", _when(obj.get("timestamp"))),
                                 ("Version", str(obj.get("version", "?")))))
        case ["controller_epoch"] if data:
            epoch = data.decode(errors="replace").strip()
            return KafkaMeaning(f"Controller epoch {epoch} (incremented at every controller election)",
                                (("Controller epoch", epoch),))
        case ["cluster", "id"] if obj:
            return KafkaMeaning(f"Cluster id {obj.get('id')}", (("Cluster id", str(obj.get("id"))),))
        case ["config"]:
            return KafkaMeaning("Dynamic config overrides by entity type (topics, brokers, users, clients, ips)")
        case ["config", "changes"]:
            return KafkaMeaning("Config change notifications the brokers apply in order")
        case ["config", "changes", name] if obj:
            entity = obj.get("entity_path") or obj.get("entity_name") or "?"
            return KafkaMeaning(f"Config change notification for {entity}",
                                (("Entity", str(entity)), ("Sequence", name.rsplit("_", 1)[-1])))
        case ["config", kind, name] if obj:
            config = obj.get("config") or {}
            label = {"topics": "topic", "brokers": "broker", "users": "user", "clients": "client id",
                     "ips": "IP"}.get(kind, kind)
            target = "the cluster-wide broker default" if kind == "brokers" and name == "<default>" else \
                f"{label} {name}"
            rows = tuple((str(k), str(v)) for k, v in sorted(config.items()))
            return KafkaMeaning(f"{len(config)} config override{'s' if len(config) != 1 else ''} for {target}",
                                rows)
        case ["config", kind]:
            return KafkaMeaning(f"Dynamic config overrides for {kind}")
        case ["admin"]:
            return KafkaMeaning("Admin requests in progress: topic deletion, reassignment, elections")
        case ["admin", "delete_topics"]:
            return KafkaMeaning("Topics marked for deletion (the controller deletes them)")
        case ["admin", "delete_topics", topic]:
            return KafkaMeaning(f"Topic {topic} is marked for deletion")
        case ["admin", "reassign_partitions"] if obj:
            moves = obj.get("partitions") or []
            rows = tuple((f"{m.get('topic')}-{m.get('partition')}", _ids(m.get("replicas")))
                         for m in moves if isinstance(m, dict))
            return KafkaMeaning(f"Partition reassignment in progress: {len(moves)} partitions", rows)
        case ["admin", "preferred_replica_election"]:
            return KafkaMeaning("Preferred replica election in progress")
        case ["isr_change_notification", *_]:
            return KafkaMeaning("ISR change notifications for the controller")
        case ["log_dir_event_notification", *_]:
            return KafkaMeaning("Log directory failure notifications for the controller")
        case ["latest_producer_id_block"] if obj:
            return KafkaMeaning(f"Producer ids handed out up to {obj.get('block_end')}",
                                (("Broker", str(obj.get("broker"))), ("Block start", str(obj.get("block_start"))),
                                 ("Block end", str(obj.get("block_end")))))
        case ["feature"] if obj:
            features = obj.get("features") or {}
            return KafkaMeaning(f"Finalized features ({len(features)}), status {obj.get('status')}",
                                tuple((str(k), json.dumps(v)) for k, v in features.items()))
        case ["consumers", *_]:
            return KafkaMeaning("Offsets of the old ZooKeeper-based consumers (before Kafka 0.9)")
    return None


_HEX_LINE = 16


def as_text(data: bytes | None) -> str:
    if data is None:
        return "(no data)"
    return data.decode("utf-8", errors="replace")


def as_json(data: bytes | None) -> str | None:
    doc = _json(data)
    if doc is None:
        return None
    return json.dumps(doc, indent=2, sort_keys=True)


def as_hex(data: bytes | None, limit: int = 64 * 1024) -> str:
    if not data:
        return "(no data)"
    lines = []
    for off in range(0, min(len(data), limit), _HEX_LINE):
        chunk = data[off:off + _HEX_LINE]
        text = re.sub(r"[^\x20-\x7e]", ".", chunk.decode("latin-1"))
        lines.append(f"{off:08x}  {chunk.hex(' '):<{_HEX_LINE * 3}} {text}")
    if len(data) > limit:
        lines.append(f"... {len(data) - limit} more bytes")
    return "\n".join(lines)
