"""A consumer-group member for tests, run as its own process so that it can be killed.

    python tests/engine/group_member.py CLIENT BOOTSTRAP TOPIC GROUP

CLIENT is confluent, kafka-python or aiokafka. It prints JSON lines on stdout:
{"assigned": [partitions]} after every rebalance, and {"committed": [partition, offset]}
after the offset past each message is committed. SIGTERM closes it cleanly (LeaveGroup).
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

SESSION_MS = 3000
HEARTBEAT_MS = 300


def say(**kw: Any) -> None:
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


stopping = False


def _stop(*_a: Any) -> None:
    global stopping
    stopping = True


def run_confluent(bootstrap: str, topic: str, group: str) -> None:
    from confluent_kafka import Consumer, KafkaException

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "session.timeout.ms": SESSION_MS,
                  "heartbeat.interval.ms": HEARTBEAT_MS, "partition.assignment.strategy": "range"})

    def on_assign(consumer: Any, parts: Any) -> None:
        say(assigned=sorted(p.partition for p in parts))

    c.subscribe([topic], on_assign=on_assign)
    while not stopping:
        for m in c.consume(num_messages=100, timeout=0.2):
            if m.error() is not None:
                continue
            try:
                c.commit(message=m, asynchronous=False)
            except KafkaException as exc:  # the group rebalanced meanwhile: not committed, consumed again later
                say(commit_failed=[m.partition(), m.offset(), str(exc)])
                continue
            say(committed=[m.partition(), m.offset()])
    c.close()


def run_kafka_python(bootstrap: str, topic: str, group: str) -> None:
    from kafka import ConsumerRebalanceListener, KafkaConsumer, OffsetAndMetadata, TopicPartition
    from kafka.errors import KafkaError

    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                      auto_offset_reset="earliest", session_timeout_ms=SESSION_MS,
                      heartbeat_interval_ms=HEARTBEAT_MS)

    class Listener(ConsumerRebalanceListener):  # type: ignore[misc]
        def on_partitions_revoked(self, revoked: Any) -> None:
            pass

        def on_partitions_assigned(self, assigned: Any) -> None:
            say(assigned=sorted(tp.partition for tp in assigned))

    # kafka-python 3.0.12 can lose the result of a rejoin when poll() times out while the JoinGroup or
    # SyncGroup is in flight and the rejoin was asked for by a metadata change rather than by the
    # coordinator: the member then never heartbeats again (client race, seen about once in 10 runs).
    # Learning the topic's partitions before joining avoids the metadata-driven rejoin after the first
    # assignment, and a longer poll makes a timeout during a parked JoinGroup rarer.
    c.partitions_for_topic(topic)
    c.subscribe([topic], listener=Listener())
    while not stopping:
        for tp, records in c.poll(timeout_ms=1000).items():
            for r in records:
                try:
                    c.commit({TopicPartition(tp.topic, tp.partition): OffsetAndMetadata(r.offset + 1, "", -1)})
                except KafkaError as exc:  # CommitFailedError and the like after a rebalance
                    say(commit_failed=[tp.partition, r.offset, repr(exc)])
                    continue
                say(committed=[tp.partition, r.offset])
    c.close()


def run_aiokafka(bootstrap: str, topic: str, group: str) -> None:
    from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
    from aiokafka.errors import KafkaError
    from aiokafka.structs import OffsetAndMetadata

    class Listener(ConsumerRebalanceListener):  # type: ignore[misc]
        async def on_partitions_revoked(self, revoked: Any) -> None:
            pass

        async def on_partitions_assigned(self, assigned: Any) -> None:
            say(assigned=sorted(tp.partition for tp in assigned))

    async def main() -> None:
        c = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest", session_timeout_ms=SESSION_MS,
                             heartbeat_interval_ms=HEARTBEAT_MS)
        c.subscribe([topic], listener=Listener())
        await c.start()
        try:
            while not stopping:
                batch = await c.getmany(timeout_ms=200)
                for tp, records in batch.items():
                    for r in records:
                        try:
                            await c.commit({TopicPartition(tp.topic, tp.partition):
                                            OffsetAndMetadata(r.offset + 1, "")})
                        except KafkaError as exc:  # CommitFailedError and the like after a rebalance
                            say(commit_failed=[tp.partition, r.offset, repr(exc)])
                            continue
                        say(committed=[tp.partition, r.offset])
        finally:
            await c.stop()

    asyncio.run(main())


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    client, bootstrap, topic, group = sys.argv[1:5]
    {"confluent": run_confluent, "kafka-python": run_kafka_python, "aiokafka": run_aiokafka}[client](
        bootstrap, topic, group)
    say(closed=True)
