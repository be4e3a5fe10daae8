"""The reset planner as pure functions: Kafka's argument formats, clamping and fallbacks, CSV, command lines, undo.
(test_groups_reset_parity.py holds the same planner against Kafka's own tool.)"""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.services.group_model import Committed
from workbench.services.reset_formats import (
    PlanError,
    format_datetime,
    parse_csv,
    parse_datetime,
    parse_duration_ms,
    to_csv,
)
from workbench.services.reset_plan import Scope, Strategy, build_plan, refusal, targets, undo_plan

T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z


@pytest.mark.parametrize(("text", "ms"), [
    ("2023-11-14T22:13:20.000", T0),  # no zone: UTC, as Kafka appends Z
    ("2023-11-14T22:13:20.250Z", T0 + 250),
    ("2023-11-14T23:13:20.000+01:00", T0),
    ("2023-11-14T23:13:20.000+0100", T0),
    ("2023-11-14T23:13:20.000+01", T0),
    ("2023-11-14T17:43:20.000-04:30", T0),
])
def test_datetimes_read_as_kafka_reads_them(text: str, ms: int) -> None:
    assert parse_datetime(text) == ms


@pytest.mark.parametrize("text", ["2023-11-14T22:13:20", "2023-11-14 22:13:20.000", "2023-13-01T00:00:00.000",
                                  "2023-02-30T00:00:00.000", "yesterday", "2023-11-14T22:13:20.000+1"])
def test_datetimes_kafka_refuses(text: str) -> None:
    with pytest.raises(PlanError, match="date and time"):
        parse_datetime(text)


def test_datetime_formatting_round_trips_with_its_zone() -> None:
    ahead = dt.timezone(dt.timedelta(hours=5, minutes=30))
    assert format_datetime(T0 + 7, ahead) == "2023-11-15T03:43:20.007+05:30"
    assert parse_datetime(format_datetime(T0 + 7, ahead)) == T0 + 7
    assert parse_datetime(format_datetime(T0 + 999)) == T0 + 999  # local zone


@pytest.mark.parametrize(("text", "ms"), [("PT30M", 1_800_000), ("PT2H", 7_200_000), ("P1DT12H", 129_600_000),
                                          ("pt1.5s", 1500), ("-PT1M", -60_000), ("PT-1.5S", -1500),
                                          ("P2D", 172_800_000), ("PT1H-30M", 1_800_000)])
def test_durations_as_java_reads_them(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["PT", "P", "1H", "PT1H2", "P1W", "P1Y", ""])
def test_durations_java_refuses(text: str) -> None:
    with pytest.raises(PlanError, match="duration"):
        parse_duration_ms(text)


A0, A1, A2, B0 = ("a", 0), ("a", 1), ("a", 2), ("b", 0)
TOPICS = {"a": [0, 1, 2], "b": [0]}
COMMITTED = {A0: Committed(5, "m"), A1: Committed(1), B0: Committed(2)}
START = {A0: 0, A1: 3, A2: 0, B0: 0}
END = {A0: 10, A1: 10, A2: 10, B0: 6}


def plan_of(strategy: Strategy, scope: Scope, by_time: dict[tuple[str, int], int] | None = None,
            state: str = "Empty") -> dict[tuple[str, int], tuple[int | None, str]]:
    parts = targets(scope, strategy, COMMITTED, TOPICS)
    p = build_plan("g", state, strategy, scope, parts, COMMITTED, START, END, by_time)
    return {(r.topic, r.partition): (r.new, r.note) for r in p.rows}


def test_scopes() -> None:
    s = Strategy("to-earliest")
    assert targets(Scope.all(), s, COMMITTED, TOPICS) == [A0, A1, B0]  # the committed partitions, not the topics
    assert targets(Scope.topic("a"), s, COMMITTED, TOPICS) == [A0, A1, A2]
    assert targets(Scope.partitions("a", [2, 0, 2]), s, COMMITTED, TOPICS) == [A0, A2]
    with pytest.raises(PlanError, match="Topic nope does not exist"):
        targets(Scope.topic("nope"), s, COMMITTED, TOPICS)
    with pytest.raises(PlanError, match=r"Partition 7 of a does not exist \(a has 3 partitions\)"):
        targets(Scope.partitions("a", [7]), s, COMMITTED, TOPICS)
    with pytest.raises(PlanError, match="One of the reset scopes"):
        targets(Scope(), s, COMMITTED, TOPICS)
    file = Strategy("from-file", rows=(("b", 0, 1), ("a", 2, 3)))
    assert targets(Scope.all(), file, COMMITTED, TOPICS) == [B0, A2]  # the file's partitions, whatever the scope


def test_clamping_and_fallbacks() -> None:
    assert plan_of(Strategy("to-offset", 2), Scope.topic("a")) == {
        A0: (2, ""), A1: (3, "2 is below the log start offset: clamped to 3"), A2: (2, "no committed offset")}
    assert plan_of(Strategy("shift-by", 7), Scope.all()) == {
        A0: (10, "12 is above the log end offset: clamped to 10"), A1: (8, ""),
        B0: (6, "9 is above the log end offset: clamped to 6")}
    assert plan_of(Strategy("to-current"), Scope.topic("a"))[A2] == (10, "no committed offset: the log end offset")
    assert plan_of(Strategy("to-current"), Scope.all())[A1] == (1, "")  # below the log start: not clamped, as Kafka
    timed = plan_of(Strategy("to-datetime", text="2023-11-14T22:13:20.000"), Scope.topic("a"), {A0: 4, A1: -1})
    assert timed[A0] == (4, "") and timed[A1] == (10, "no record at or after that time: the log end offset")
    assert timed[A2][0] == 10  # not answered at all: the log end too
    assert plan_of(Strategy("to-earliest"), Scope.all()) == {A0: (0, ""), A1: (3, ""), B0: (0, "")}


def test_shift_by_needs_a_committed_offset_in_kafkas_words() -> None:
    with pytest.raises(PlanError, match="^Cannot shift offset for partition a-2 since there is no current committed "
                                        "offset.$"):
        plan_of(Strategy("shift-by", 1), Scope.topic("a"))


def test_plan_totals_refusal_csv_and_command() -> None:
    scope = Scope.partitions("a", [0, 1])
    parts = targets(scope, Strategy("to-offset", 4), COMMITTED, TOPICS)
    p = build_plan("g", "Stable", Strategy("to-offset", 4), scope, parts, COMMITTED, START, END)
    assert [(r.reread, r.skipped) for r in p.rows] == [(1, 0), (0, 3)]
    assert (p.reread, p.skipped, p.changes) == (1, 3, 2)
    assert p.refusal == refusal("g", "Stable") == \
        "Assignments can only be reset if the group 'g' is inactive, but the current state is Stable."
    assert refusal("g", "Empty") == refusal("g", "Dead") == ""
    assert p.csv() == "a,0,4\na,1,4\n"
    assert p.command_text("h:9092") == ("kafka-consumer-groups.sh --bootstrap-server h:9092 --group g --reset-offsets "
                                        "--topic a:0,1 --to-offset 4 --dry-run")
    assert p.command("h:9092", execute=True)[-1] == "--execute"
    odd = Strategy("to-datetime", text="2023-11-14T22:13:20.000+01:00")
    assert Scope.all().cli_args() + odd.cli_args() == ["--all-topics", "--to-datetime",
                                                       "2023-11-14T22:13:20.000+01:00"]
    assert Strategy("from-file", file_name="my plan.csv").cli_args() == ["--from-file", "my plan.csv"]
    with pytest.raises(PlanError):
        Strategy("to-somewhere")


def test_csv_in_kafkas_format() -> None:
    assert to_csv([("a", 0, 1), ("b", 2, None)]) == "a,0,1\n"
    assert to_csv([("a", 0, 1)], group="g") == "g,a,0,1\n"
    assert parse_csv("a,0,1\r\nb,2,30\n\n", "g") == (("a", 0, 1), ("b", 2, 30))
    assert parse_csv("g,a,0,1\nother,a,1,5\ng,b,2,3\n", "g") == (("a", 0, 1), ("b", 2, 3))
    with pytest.raises(PlanError, match="No reset plan for group g found"):
        parse_csv("other,a,0,1\n", "g")
    with pytest.raises(PlanError, match="^Invalid negative offset"):
        parse_csv("other,a,0,-1\ng,a,0,1\n", "g")  # Kafka refuses the file even for another group's line
    with pytest.raises(PlanError, match="Line 2 of the file is not topic,partition,offset"):
        parse_csv("a,0,1\na,0\n", "g")
    with pytest.raises(PlanError, match="not a number"):
        parse_csv("a,zero,1\n", "g")
    with pytest.raises(PlanError, match="holds no offsets"):
        parse_csv("\n\n", "g")


def test_undo_plan_restores_offsets_and_metadata_and_removes_created_commits() -> None:
    now = {A0: Committed(9), A1: Committed(9)}
    p = undo_plan("g", "Empty", 7, [("a", 0, 5, "m", 3), ("a", 1, None, "", None)], now, START, END)
    assert [(r.partition, r.current, r.new, r.metadata, r.leader_epoch) for r in p.rows] == \
        [(0, 9, 5, "m", 3), (1, 9, None, "", None)]
    assert p.offsets == {A0: 5} and p.removals == [A1] and p.undo_of == 7
    assert p.description == "undo of reset #7"
    assert p.command_text("h:1").splitlines() == [
        "kafka-consumer-groups.sh --bootstrap-server h:1 --group g --reset-offsets --from-file undo-7.csv --dry-run",
        "kafka-consumer-groups.sh --bootstrap-server h:1 --group g --delete-offsets --topic a:1"]
