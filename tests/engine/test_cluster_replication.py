"""Replication with broker failures, in the spirit of Kafka's tests/core/replication_test.py
(test_replication_with_broker_failure): a topic of 3 partitions, replication factor 3, min.insync.replicas=2; an
idempotent acks=all producer runs while the leader of partition 0 is SIGKILLed and restarted five times (each
time once ZooKeeper has expired its registration, as kafkatest's hard_bounce waits), then the controller five
times, then the leader is bounced cleanly. Every acknowledged message is then read back exactly once, at the offset
it was acknowledged at and in the order it was sent, and the three replicas' logs are identical record by record."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.components.engine_cluster import EngineCluster
from tests.components.process import wait_until
from tests.engine.cluster_checks import BackgroundProducer, consume_partitions, create_topic, isr_full, replica_records

pytestmark = pytest.mark.slow

TOPIC = "replicated"
PARTITIONS = 3


def out_of_every_isr(cluster: EngineCluster, broker_id: int) -> bool:
    return all(broker_id not in cluster.isr(TOPIC, p) for p in range(PARTITIONS))


def hard_bounce(cluster: EngineCluster, broker_id: int) -> None:
    cluster.kill(broker_id)
    cluster.wait_deregistered(broker_id)
    wait_until(lambda: out_of_every_isr(cluster, broker_id), 30, f"the controller to drop {broker_id} from the ISR")
    cluster.start_broker(broker_id)


def test_replication_with_broker_failures(engine_cluster_factory: Any) -> None:
    cluster = engine_cluster_factory()
    create_topic(cluster, TOPIC, PARTITIONS, 3, {"min.insync.replicas": "2"})
    producer = BackgroundProducer(cluster.bootstrap, TOPIC, PARTITIONS).start()
    events: list[str] = []
    started = time.monotonic()
    try:
        producer.wait_acked(50, 30, "before the first failure")
        for victim_kind in ("leader",) * 5 + ("controller",) * 5 + ("clean",):
            victim = cluster.controller() if victim_kind == "controller" else cluster.leader(TOPIC, 0)
            assert victim in cluster.brokers, f"no {victim_kind} to bounce"
            if victim_kind == "clean":
                assert cluster.stop(victim) == 0
                cluster.wait_deregistered(victim)
                assert out_of_every_isr(cluster, victim)  # controlled shutdown took it out before it exited
                cluster.start_broker(victim)
            else:
                hard_bounce(cluster, victim)
            wait_until(lambda: isr_full(cluster, TOPIC, PARTITIONS), 60, "the ISR to be full again")
            producer.wait_acked(20, 60, f"after the {victim_kind} bounce of broker {victim}")
            events.append(f"{victim_kind} {victim} at {time.monotonic() - started:.1f} s, "
                          f"{producer.acked_count()} acked")
        producer.wait_acked(500, 60, "after the failures")
    finally:
        producer.stop()
    assert not producer.fatal, producer.fatal
    assert not producer.failed, producer.failed[:10]

    # The last acknowledgements reached every replica once the ISR is full (HW = min LEO of the ISR).
    wait_until(lambda: isr_full(cluster, TOPIC, PARTITIONS), 60, "the ISR to be full at the end")
    consumed = consume_partitions(cluster.bootstrap, TOPIC, PARTITIONS)
    values = [v for records in consumed.values() for _o, v in records]
    assert len(values) == len(set(values)), "a value was consumed twice (idempotence broken)"
    at_offset = {(p, o): v for p, records in consumed.items() for o, v in records}
    in_partition = {p: {v for _o, v in records} for p, records in consumed.items()}
    lost = [a for a in producer.acked
            if (a.value not in in_partition[a.partition] if a.offset is None
                else at_offset.get((a.partition, a.offset)) != a.value)]
    assert not lost, f"{len(lost)} acknowledged messages not consumed where acknowledged, e.g. {lost[:5]}"
    implicit = sum(1 for a in producer.acked if a.offset is None)
    for p, records in consumed.items():
        sent = [int(v) for _o, v in records]
        assert sent == sorted(sent), f"partition {p} is out of order"
        assert all(n % PARTITIONS == p for n in sent)

    # The replicas' logs, read from the stopped brokers' directories, are identical record by record.
    for broker_id in sorted(cluster.brokers, key=lambda b: b == cluster.controller()):
        assert cluster.stop(broker_id, timeout=30) == 0
    for p in range(PARTITIONS):
        replicas = {b: replica_records(proc.data_dir, TOPIC, p) for b, proc in cluster.brokers.items()}
        first = next(iter(replicas.values()))
        assert [r.offset for r in first] == [o for o, _v in consumed[p]]
        for broker_id, records in replicas.items():
            assert records == first, f"partition {p}: the replica on broker {broker_id} differs"
    print(f"{producer.acked_count()} acked ({implicit} implicitly), {len(values)} consumed; " + "; ".join(events))
