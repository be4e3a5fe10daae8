"""Consumer groups with real clients: assignment, leave and kill hand partitions over, commits survive restarts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from tests.components.process import wait_until
from tests.engine.test_client_confluent import create_topic

MEMBER = Path(__file__).with_name("group_member.py")
ROOT = Path(__file__).resolve().parents[2]
GROUP_OVERRIDES = {"group.min.session.timeout.ms": "1000", "group.initial.rebalance.delay.ms": "0"}


class MemberProcess:
    def __init__(self, client: str, bootstrap: str, topic: str, group: str) -> None:
        self.stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in close(); shown if the member died)
        self.proc = subprocess.Popen([sys.executable, str(MEMBER), client, bootstrap, topic, group], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.assigned: list[int] | None = None
        self.committed: list[tuple[int, int]] = []
        self.closed = False
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = json.loads(line)
            with self.lock:
                if "assigned" in event:
                    self.assigned = event["assigned"]
                elif "committed" in event:
                    self.committed.append(tuple(event["committed"]))  # type: ignore[arg-type]
                elif "closed" in event:
                    self.closed = True

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self.reader.join(10)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        self.reader.join(10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        elif self.proc.returncode not in (0, -signal.SIGKILL):
            self.stderr.seek(0)
            print(f"member {self.proc.pid} exited {self.proc.returncode}:\n{self.stderr.read()[-3000:]}")
        self.stderr.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def covers_all(members: list[MemberProcess], partitions: int) -> bool:
    seen: list[int] = []
    for m in members:
        with m.lock:
            if m.assigned is None:
                return False
            seen += m.assigned
    return sorted(seen) == list(range(partitions))


def produce(bootstrap: str, topic: str, start: int, count: int, partitions: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(start, start + count):
        p.produce(topic, value=str(i).encode(), partition=i % partitions)
    assert p.flush(30) == 0


def committed_pairs(members: list[MemberProcess]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for m in members:
        with m.lock:
            out += m.committed
    return out


@pytest.mark.parametrize("client", ["confluent", "kafka-python", "aiokafka"])
def test_group_rebalances_and_commits(engine_factory: Any, client: str) -> None:
    eng = engine_factory(**GROUP_OVERRIDES)
    topic, group, parts = f"grp-{client}", f"g-{client}", 6
    create_topic(eng.bootstrap, topic, partitions=parts)
    members = [MemberProcess(client, eng.bootstrap, topic, group) for _ in range(3)]
    everyone = list(members)
    try:
        wait_until(lambda: covers_all(members, parts) and all(m.assigned for m in members), 60,
                 "three members to share six partitions")
        produce(eng.bootstrap, topic, 0, 60, parts)
        wait_until(lambda: len(committed_pairs(everyone)) >= 60, 60, "60 messages committed")
        leaving = members.pop(0)
        leaving.terminate()
        assert leaving.closed
        wait_until(lambda: covers_all(members, parts), 60, "the two remaining members to take over")
        produce(eng.bootstrap, topic, 60, 60, parts)
        wait_until(lambda: len(committed_pairs(everyone)) >= 120, 60, "120 messages committed")
        killed = members.pop(0)
        killed.kill()
        wait_until(lambda: covers_all(members, parts) and members[0].assigned == list(range(parts)), 60,
                 "the last member to take over after the session timeout")
        produce(eng.bootstrap, topic, 120, 60, parts)
        wait_until(lambda: len(set(committed_pairs(everyone))) >= 180, 60, "180 messages committed")
        members[0].terminate()
    finally:
        for m in everyone:
            m.close()
    pairs = committed_pairs(everyone)
    assert len(pairs) == len(set(pairs)) == 180, "each message committed exactly once: none consumed twice"
    eng.stop()
    eng.start()
    produce(eng.bootstrap, topic, 180, 12, parts)
    after = MemberProcess(client, eng.bootstrap, topic, group)
    try:
        # each partition is read in order, so once the last offset of every partition is committed, any old
        # message the group re-delivered (its offsets lost in the restart) has been committed before it
        last = {(p, (180 + 12) // parts - 1) for p in range(parts)}
        wait_until(lambda: last <= set(committed_pairs([after])), 60, "the new messages after a restart")
        after.terminate()
    finally:
        after.close()
    new = committed_pairs([after])
    assert len(new) == 12 and not set(new) & set(pairs), "committed offsets survived the restart"


def test_kcat_consumes_as_a_group(engine_factory: Any) -> None:
    kcat = shutil.which("kcat")
    if kcat is None:
        pytest.skip("component missing: kcat (install Debian's kcat package)")
    eng = engine_factory(**GROUP_OVERRIDES)
    create_topic(eng.bootstrap, "kcat-group", partitions=3)
    produce(eng.bootstrap, "kcat-group", 0, 30, 3)
    out = subprocess.run([kcat, "-b", eng.bootstrap, "-G", "kcat-g", "-o", "beginning", "-e", "-f", "%p:%o:%s\n",
                          "-X", "session.timeout.ms=3000", "kcat-group"], capture_output=True, text=True, timeout=90)
    lines = [ln for ln in out.stdout.splitlines() if ln]
    assert sorted(int(ln.split(":")[2]) for ln in lines) == list(range(30)), out.stderr[-2000:]
    from confluent_kafka import ConsumerGroupTopicPartitions
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": eng.bootstrap})
    offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("kcat-g")])["kcat-g"].result(30)
    assert sorted((tp.partition, tp.offset) for tp in offsets.topic_partitions) == [(0, 10), (1, 10), (2, 10)]


def test_group_admin_with_kafka_python_against_a_static_member(engine_factory: Any) -> None:
    """kafka-python's admin client: batched FindCoordinator, multi-group OffsetFetch v8, ListGroups with a
    state filter, DescribeGroups, OffsetDelete and DeleteGroups refusals for an active group, and removing a
    static member (batched LeaveGroup by group.instance.id), which then rejoins."""
    from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient
    from kafka import TopicPartition as KTP
    from kafka.admin import KafkaAdminClient, MemberToRemove
    from kafka.errors import GroupSubscribedToTopicError, NoError

    eng = engine_factory(**GROUP_OVERRIDES)
    create_topic(eng.bootstrap, "adm", partitions=2)
    admin = AdminClient({"bootstrap.servers": eng.bootstrap})
    admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(
        "idle", [TopicPartition("adm", 0, 7), TopicPartition("adm", 1, 9)])])["idle"].result(30)
    consumer = Consumer({"bootstrap.servers": eng.bootstrap, "group.id": "active", "group.instance.id": "static-1",
                         "session.timeout.ms": 6000, "heartbeat.interval.ms": 300, "enable.auto.commit": False})
    consumer.subscribe(["adm"])
    kp = KafkaAdminClient(bootstrap_servers=eng.bootstrap)
    try:
        def state(group: str) -> str:
            consumer.poll(0.05)  # serves the consumer's rebalance events (polled from this thread only)
            return str(kp.describe_groups([group])[group]["group_state"])

        wait_until(lambda: state("active") == "Stable", 30, "the static member's group to be Stable")
        consumer.commit(offsets=[TopicPartition("adm", 0, 3)], asynchronous=False)

        got = kp.list_group_offsets({"active": None, "idle": [KTP("adm", 1)], "ghost": None})
        assert {g: {(tp.partition, om.offset) for tp, om in v.items()} for g, v in got.items()} == {
            "active": {(0, 3)}, "idle": {(1, 9)}, "ghost": set()}
        assert [g["group_id"] for g in kp.list_groups(states_filter=["Stable"])] == ["active"]
        assert [g["group_id"] for g in kp.list_groups(states_filter=["Empty"])] == ["idle"]

        desc = kp.describe_groups(["active"])["active"]
        (member,) = desc["members"]
        assert member["group_instance_id"] == "static-1" and desc["protocol_type"] == "consumer"

        assert kp.delete_group_offsets("active", [KTP("adm", 0)]) == {KTP("adm", 0): GroupSubscribedToTopicError}
        assert kp.delete_group_offsets("idle", [KTP("adm", 0)]) == {KTP("adm", 0): NoError}
        assert kp.delete_groups(["active", "idle"]) == {"active": "NonEmptyGroupError", "idle": "OK"}

        removed = kp.remove_group_members("active", [MemberToRemove(group_instance_id="static-1")])
        assert list(removed.values()) == [NoError]
        wait_until(lambda: state("active") == "Stable" and
                   kp.describe_groups(["active"])["active"]["members"][0]["member_id"] != member["member_id"],
                   30, "the removed static member to rejoin under a new member id")
    finally:
        kp.close()
        consumer.close()


def test_commits_and_the_group_survive_kill_9(engine_factory: Any) -> None:
    """Acknowledged commits are in __consumer_offsets before the response: a SIGKILL loses none. The group's
    last generation is reloaded with its members, so a consumer that reconnects keeps its membership."""
    from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient
    from kafka.admin import KafkaAdminClient

    eng = engine_factory(**GROUP_OVERRIDES)
    create_topic(eng.bootstrap, "k9", partitions=3)
    consumer = Consumer({"bootstrap.servers": eng.bootstrap, "group.id": "k9g", "session.timeout.ms": 6000,
                         "heartbeat.interval.ms": 300, "enable.auto.commit": False})
    consumer.subscribe(["k9"])

    def members() -> list[str]:
        consumer.poll(0.05)
        kp = KafkaAdminClient(bootstrap_servers=eng.bootstrap)
        try:
            desc = kp.describe_groups(["k9g"])["k9g"]
        finally:
            kp.close()
        return [m["member_id"] for m in desc["members"]] if desc["group_state"] == "Stable" else []

    try:
        wait_until(lambda: len(members()) == 1 and len(consumer.assignment()) == 3, 30, "the consumer's assignment")
        (member,) = members()
        for i in range(1, 21):
            consumer.commit(offsets=[TopicPartition("k9", p, i * 10 + p) for p in range(3)], asynchronous=False)
        eng.kill()
        eng.start()
        admin = AdminClient({"bootstrap.servers": eng.bootstrap})
        got = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("k9g")])["k9g"].result(30)
        assert sorted((tp.partition, tp.offset) for tp in got.topic_partitions) == [(0, 200), (1, 201), (2, 202)]
        wait_until(lambda: members() == [member], 30, "the reloaded group with the same member")
        deadline = time.monotonic() + 8  # longer than the session timeout: the member heartbeats, nothing changes
        while time.monotonic() < deadline:
            assert members() == [member]
    finally:
        consumer.close()
