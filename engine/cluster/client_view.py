"""What clients are told about the cluster in ZooKeeper mode (Kafka's ZkMetadataCache answers): brokers, partitions
with leaders, replicas and ISR, the controller, and the coordinator of a group.

A partition whose leader is not a live broker is reported with leader -1 and
LEADER_NOT_AVAILABLE; Metadata v0 drops dead replicas from the lists and says
REPLICA_NOT_AVAILABLE, as Kafka does. Brokers are listed with their endpoint on the listener
the client uses (here: the first advertised listener).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kio.schema.errors import ErrorCode

from engine.coordinator.formats import partition_for

if TYPE_CHECKING:
    from engine.cluster.node import ZkNode


def client_listener(node: ZkNode) -> str:
    adv = node.config.advertised
    return adv[0][0] if adv else "PLAINTEXT"


def brokers(node: ZkNode) -> list[dict[str, Any]]:
    listener = client_listener(node)
    out = []
    for b in sorted(node.replicas.metadata.brokers.values(), key=lambda b: b.broker_id):
        ep = b.endpoint(listener)
        if ep is not None:
            out.append({"node_id": b.broker_id, "host": ep.host, "port": ep.port, "rack": b.rack})
    return out


def controller_id(node: ZkNode) -> int:
    return node.replicas.metadata.controller_id


def partitions(node: ZkNode, topic: str, version: int) -> list[dict[str, Any]]:
    cache = node.replicas.metadata
    listener = client_listener(node)
    out = []
    for index, info in sorted(cache.partitions.get(topic, {}).items()):
        replicas, isr = list(info.replicas), list(info.isr)
        error = ErrorCode.none
        if version == 0:
            live = [r for r in replicas if cache.alive(r)]
            live_isr = [r for r in isr if cache.alive(r)]
            if len(live) < len(replicas) or len(live_isr) < len(isr):
                error = ErrorCode.replica_not_available
            replicas, isr = live, live_isr
        leader = info.leader
        leader_broker = cache.brokers.get(leader)
        if leader_broker is None or leader_broker.endpoint(listener) is None:
            leader, error = -1, ErrorCode.leader_not_available
        out.append({"error_code": error, "partition_index": index, "leader_id": leader,
                    "leader_epoch": info.leader_epoch, "replica_nodes": replicas, "isr_nodes": isr,
                    "offline_replicas": list(info.offline)})
    return out


def coordinator(node: ZkNode, topic: str, key: str, partitions_count: int) -> tuple[int, str, int] | None:
    """(node id, host, port) of the leader of key's partition of topic, if it has a live leader."""
    cache = node.replicas.metadata
    if not cache.contains(topic):
        return None
    info = cache.partition(topic, partition_for(key, cache.partition_count(topic) or partitions_count))
    if info is None or info.leader < 0:
        return None
    b = cache.brokers.get(info.leader)
    ep = b.endpoint(client_listener(node)) if b is not None else None
    if ep is None:
        return None
    return info.leader, ep.host, ep.port
