"""kafka-consumer-groups against the engine: list, describe, every reset strategy, delete, delete-offsets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.components.process import wait_until
from tests.engine.test_groups_clients import GROUP_OVERRIDES, MemberProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def setup(engine_factory: Any, kafka_cli: Any) -> tuple[Any, Any]:
    eng = engine_factory(**GROUP_OVERRIDES)
    b = eng.bootstrap
    kafka_cli.run("kafka-topics", "--bootstrap-server", b, "--create", "--topic", "cgt", "--partitions", "2")
    lines = "".join(f"key{i % 10}:{i}\n" for i in range(20))  # ten keys: both partitions get some
    kafka_cli.run("kafka-console-producer", "--bootstrap-server", b, "--topic", "cgt", "--property",
                  "parse.key=true", "--property", "key.separator=:", input=lines)
    kafka_cli.run("kafka-console-consumer", "--bootstrap-server", b, "--topic", "cgt", "--group", "cg",
                  "--from-beginning", "--max-messages", "20", "--timeout-ms", "20000")
    admin = AdminClient({"bootstrap.servers": b})

    def settled() -> bool:
        group = admin.describe_consumer_groups(["cg"])["cg"].result(timeout=30)
        return str(group.state).endswith("EMPTY") and sum(committed(eng).values()) == 20

    wait_until(settled, 30, "the console consumer to have left group cg with all 20 offsets committed")
    return eng, kafka_cli


def groups(cli: Any, eng: Any, *args: str) -> str:
    return str(cli.run("kafka-consumer-groups", "--bootstrap-server", eng.bootstrap, *args).stdout)


def table(out: str) -> dict[tuple[str, int], list[str]]:
    rows = {}
    for line in out.splitlines():
        cols = line.split()
        if len(cols) >= 4 and cols[0] == "cg" and cols[2].isdigit():
            rows[(cols[1], int(cols[2]))] = cols[3:]
    return rows


def committed(eng: Any) -> dict[int, int]:
    admin = AdminClient({"bootstrap.servers": eng.bootstrap})
    res = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("cg")])["cg"].result(timeout=30)
    return {tp.partition: tp.offset for tp in res.topic_partitions}


def test_list_and_describe(setup: tuple[Any, Any]) -> None:
    eng, cli = setup
    assert "cg" in groups(cli, eng, "--list").split()
    ends = committed(eng)
    assert sum(ends.values()) == 20 and all(v > 0 for v in ends.values())
    rows = table(groups(cli, eng, "--describe", "--group", "cg", "--offsets"))
    assert {k: int(v[0]) for k, v in rows.items()} == {("cgt", p): o for p, o in ends.items()}
    assert all(v[2] == "0" for v in rows.values()), "no lag"
    state = groups(cli, eng, "--describe", "--group", "cg", "--state")
    assert re.search(r"cg\s+\S+\s+\(1\)\s+-\s+Empty\s+0", state), state
    members = cli.run("kafka-consumer-groups", "--bootstrap-server", eng.bootstrap, "--describe", "--group", "cg",
                      "--members")
    assert "Consumer group 'cg' has no active members." in members.stdout + members.stderr
    assert re.search(r"GROUP\s+CONSUMER-ID\s+HOST\s+CLIENT-ID\s+#PARTITIONS", members.stdout)


@pytest.mark.parametrize(("strategy", "expected"), [
    (["--to-earliest"], lambda ends: {p: 0 for p in ends}),
    (["--to-latest"], lambda ends: dict(ends)),
    (["--to-offset", "3"], lambda ends: {p: min(3, e) for p, e in ends.items()}),
    (["--shift-by", "-4"], lambda ends: {p: max(0, e - 4) for p, e in ends.items()}),
    (["--to-current"], lambda ends: dict(ends)),
    (["--to-datetime", "2020-01-01T00:00:00.000"], lambda ends: {p: 0 for p in ends}),
    (["--by-duration", "PT24H"], lambda ends: {p: 0 for p in ends}),
])
def test_reset_strategies_dry_run_then_execute(setup: tuple[Any, Any], strategy: list[str], expected: Any) -> None:
    eng, cli = setup
    ends = committed(eng)
    want = expected(ends)
    dry = table(groups(cli, eng, "--reset-offsets", "--group", "cg", "--topic", "cgt", *strategy, "--dry-run"))
    assert {p: int(v[0]) for (_t, p), v in dry.items()} == want
    assert committed(eng) == ends, "a dry run changes nothing"
    done = table(groups(cli, eng, "--reset-offsets", "--group", "cg", "--all-topics", *strategy, "--execute"))
    assert {p: int(v[0]) for (_t, p), v in done.items()} == want
    assert committed(eng) == want


def test_reset_chosen_partitions_and_from_file(setup: tuple[Any, Any], tmp_path: Path) -> None:
    eng, cli = setup
    ends = committed(eng)
    groups(cli, eng, "--reset-offsets", "--group", "cg", "--topic", "cgt:1", "--to-offset", "1", "--execute")
    assert committed(eng) == {0: ends[0], 1: 1}
    plan = tmp_path / "plan.csv"
    plan.write_text("cgt,0,2\ncgt,1,0\n")
    out = groups(cli, eng, "--reset-offsets", "--group", "cg", "--from-file", str(plan), "--execute")
    assert table(out) == {("cgt", 0): ["2"], ("cgt", 1): ["0"]}
    assert committed(eng) == {0: 2, 1: 0}


def test_delete_offsets_and_delete_group(setup: tuple[Any, Any]) -> None:
    eng, cli = setup
    out = groups(cli, eng, "--delete-offsets", "--group", "cg", "--topic", "cgt")
    assert re.search(r"cgt\s+0\s+Successful", out) and re.search(r"cgt\s+1\s+Successful", out), out
    assert committed(eng) == {}
    out = groups(cli, eng, "--delete", "--group", "cg")
    assert "Deletion of requested consumer groups ('cg') was successful." in out
    assert "cg" not in groups(cli, eng, "--list").split()


def test_reset_of_an_active_group_is_refused(setup: tuple[Any, Any]) -> None:
    eng, cli = setup
    before = committed(eng)
    member = MemberProcess("confluent", eng.bootstrap, "cgt", "cg")
    try:
        wait_until(lambda: member.assigned == [0, 1], 60, "the member to own both partitions")
        res = cli.run("kafka-consumer-groups", "--bootstrap-server", eng.bootstrap, "--reset-offsets", "--group",
                      "cg", "--topic", "cgt", "--to-earliest", "--execute", check=False)
        assert "can only be reset if the group 'cg' is inactive, but the current state is Stable" in (
            res.stdout + res.stderr)
        admin = AdminClient({"bootstrap.servers": eng.bootstrap})
        fut = admin.alter_consumer_group_offsets(
            [ConsumerGroupTopicPartitions("cg", [TopicPartition("cgt", 0, 0)])])["cg"]
        try:
            errors = [str(tp.error) for tp in fut.result(timeout=30).topic_partitions]
        except Exception as exc:  # the KafkaException form of the same refusal
            errors = [str(exc)]
        assert errors and all("UNKNOWN_MEMBER_ID" in e for e in errors), errors
        assert committed(eng) == before
        member.terminate()
    finally:
        member.close()
