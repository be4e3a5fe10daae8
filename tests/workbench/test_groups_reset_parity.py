"""The app's reset plans equal `kafka-consumer-groups --reset-offsets --dry-run`, partition by partition, for every
strategy and scope, against the engine and against Apache Kafka 3.9 (Kafka's own 4.1 tool runs the command line the
plan shows).

The data makes every rule matter: topic A has 3 partitions of 10 records, 10 minutes apart, ending 10 minutes ago,
with the log of A-1 starting at 3 (records deleted); topic B has 2 partitions of 6 records from five hours ago (no
record after the times looked up: the tool falls back to the log end). Group G has committed A-0=5 (with metadata),
A-1=4 and B-0=2; A-2 and B-1 have no commit (to-current falls back to the log end, shift-by refuses). Group H does not
exist (Dead: its offsets may be set). All plans are made first, then every tool run happens in one JVM.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.components.engine_proc import EngineProcess
from tests.workbench.groups_setup import commit, create_topics, delete_records, module_engine, produce
from workbench.errors import WorkbenchError
from workbench.services.admin import AdminService
from workbench.services.connection import ConnectionSpec
from workbench.services.groups import GroupsService
from workbench.services.reset_formats import PlanError, format_datetime, parse_csv
from workbench.services.reset_plan import STRATEGIES as STRATEGY_KINDS
from workbench.services.reset_plan import Scope, Strategy, command_args

pytestmark = pytest.mark.slow
MINUTE = 60_000


@dataclasses.dataclass(frozen=True)
class Names:
    a: str
    b: str
    g: str
    h: str
    now: int
    files: Path


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    dead_group: bool  # reset group H (does not exist) instead of G
    strategy: Any  # Names -> Strategy (PlanError when Kafka would refuse it)
    scope: Any  # Names -> Scope
    file: str = ""  # from-file: the file's name


@dataclasses.dataclass
class Outcome:
    app: dict[tuple[str, int], int] | None  # None: the app refused (app_error says why)
    app_error: str
    app_csv: str
    tool: dict[tuple[str, int], int]
    tool_text: str


def _to_time(n: Names) -> str:
    return format_datetime(n.now - 45 * MINUTE, dt.timezone(dt.timedelta(hours=2)))  # with a zone: +02:00


def _utc_time(n: Names) -> str:
    return format_datetime(n.now - 65 * MINUTE, dt.UTC)[:-6]  # no zone: Kafka reads UTC


def _from_file(name: str, text: str) -> Any:
    def make(n: Names) -> Strategy:
        path = n.files / name
        path.write_text(text.format(a=n.a, b=n.b, g=n.g, h=n.h))
        return Strategy("from-file", rows=parse_csv(path.read_text(), n.g), file_name=str(path))
    return make


STRATEGIES: list[tuple[str, Any]] = [
    ("to-earliest", lambda n: Strategy("to-earliest")),
    ("to-latest", lambda n: Strategy("to-latest")),
    ("to-offset-2", lambda n: Strategy("to-offset", 2)),  # A-1 clamped up to its log start
    ("to-offset-8", lambda n: Strategy("to-offset", 8)),  # B clamped down to its log end
    ("shift-by-7", lambda n: Strategy("shift-by", 7)),
    ("shift-by--3", lambda n: Strategy("shift-by", -3)),
    ("to-datetime-zone", lambda n: Strategy("to-datetime", text=_to_time(n))),
    ("to-datetime-utc", lambda n: Strategy("to-datetime", text=_utc_time(n))),
    ("by-duration", lambda n: Strategy("by-duration", text="PT75M")),
    ("to-current", lambda n: Strategy("to-current")),
]
SCOPES: list[tuple[str, Any]] = [
    ("all-topics", lambda n: Scope.all()),
    ("topic", lambda n: Scope.topic(n.a)),
    ("partitions", lambda n: Scope.partitions(n.a, [0, 2])),
]
CASES = [Case(f"{s}/{k}", False, strategy, scope) for s, strategy in STRATEGIES for k, scope in SCOPES] + [
    Case("from-file", False, _from_file("plan.csv", "{a},0,7\n{a},1,0\n{a},2,99\n{b},1,3\n"), lambda n: Scope(),
         "plan.csv"),
    Case("from-file-with-groups", False, _from_file("groups.csv", "{g},{a},2,4\n{h},{a},0,1\n{g},{b},0,9\n"),
         lambda n: Scope(), "groups.csv"),
    Case("from-file-negative", False, _from_file("negative.csv", "{a},2,4\n{b},0,-5\n"), lambda n: Scope(),
         "negative.csv"),
    Case("dead-group/to-latest/topic", True, lambda n: Strategy("to-latest"), lambda n: Scope.topic(n.a)),
    Case("dead-group/to-current/all-topics", True, lambda n: Strategy("to-current"), lambda n: Scope.all()),
    Case("dead-group/to-current/partitions", True, lambda n: Strategy("to-current"),
         lambda n: Scope.partitions(n.b, [1])),
    Case("dead-group/shift-by/topic", True, lambda n: Strategy("shift-by", 1), lambda n: Scope.topic(n.b)),
]


@pytest.fixture(scope="module")
def engine_for_parity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    yield from module_engine(tmp_path_factory)


def parse_tool(out: str, group: str) -> dict[tuple[str, int], int]:
    rows = {}
    for line in out.splitlines():
        cols = line.split()
        if len(cols) == 4 and cols[0] == group and cols[2].isdigit():
            rows[(cols[1], int(cols[2]))] = int(cols[3])
    return rows


def build_outcomes(cluster: Any, kafka_cli: Any, files: Path) -> dict[str, Outcome]:
    sfx = uuid.uuid4().hex[:6]
    n = Names(f"par-a-{sfx}", f"par-b-{sfx}", f"par-g-{sfx}", f"par-h-{sfx}", int(time.time() * 1000), files)
    bs = cluster.bootstrap
    create_topics(bs, {n.a: 3, n.b: 2})
    for p in range(3):
        produce(bs, n.a, p, 10, [n.now - 100 * MINUTE + i * 10 * MINUTE for i in range(10)])
    for p in range(2):
        produce(bs, n.b, p, 6, [n.now - 300 * MINUTE + i * 10 * MINUTE for i in range(6)])
    commit(bs, n.g, {(n.a, 0): (5, "m0"), (n.a, 1): (4, ""), (n.b, 0): (2, "")})
    delete_records(bs, n.a, 1, 3)
    resolved, refused = [], {}
    for c in CASES:
        try:
            strategy = c.strategy(n)
        except PlanError as exc:  # a file Kafka would not read: the app says so on import
            strategy, refused[c.id] = Strategy("from-file", file_name=str(n.files / c.file)), str(exc)
        resolved.append((c, n.h if c.dead_group else n.g, strategy, c.scope(n)))

    async def plans() -> list[tuple[Any, str]]:
        svc = GroupsService(AdminService(ConnectionSpec(cluster.name, bs), 20))
        out: list[tuple[Any, str]] = []
        for c, group, strategy, scope in resolved:
            if c.id in refused:
                out.append((None, refused[c.id]))
                continue
            try:
                out.append((await svc.plan(group, strategy, scope), ""))
            except WorkbenchError as exc:
                out.append((None, exc.problem.sentence))
        svc.admin.close()
        return out
    planned = asyncio.run(plans())
    runs = []
    for (_c, group, strategy, scope), (plan, _error) in zip(resolved, planned, strict=True):
        # the command line the plan shows is what Kafka's tool runs
        args = plan.command(bs) if plan is not None else command_args(bs, group, strategy, scope)
        assert args[0] == "kafka-consumer-groups.sh" and args[-1] == "--dry-run"
        runs.append(args[1:])
    runs.append([*runs[0], "--export"])  # to-earliest of all topics, as the CSV Kafka exports
    results = kafka_cli.run_batch("kafka-consumer-groups", runs)
    outcomes = {}
    for (c, group, _s, _sc), (plan, error), res in zip(resolved, planned, results, strict=False):
        outcomes[c.id] = Outcome(plan.offsets if plan is not None else None, error,
                                 plan.csv() if plan is not None else "", parse_tool(res.stdout, group),
                                 res.stdout + res.stderr)
    outcomes["export"] = Outcome(None, "", "", {}, results[-1].stdout)
    return outcomes


_cache: dict[str, dict[str, Outcome]] = {}


@pytest.fixture(params=["engine", "kafka_zk"])
def parity(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case's plan and tool output on one cluster, computed once per cluster (module)."""
    name = str(request.param)
    if name not in _cache:
        cluster = request.getfixturevalue("engine_for_parity" if name == "engine" else "kafka_zk")
        kafka_cli = request.getfixturevalue("kafka_cli")
        _cache[name] = build_outcomes(cluster, kafka_cli, tmp_path_factory.mktemp(f"parity-{name}"))
    return _cache[name]


@pytest.mark.parametrize("case", [c.id for c in CASES])
def test_plan_equals_kafka_dry_run(parity: dict[str, Outcome], case: str) -> None:
    out = parity[case]
    if out.app is None:
        # the app refuses what the tool refuses, in the tool's words
        assert not out.tool, f"the tool planned {out.tool} where the app said: {out.app_error}"
        kafka_words = out.app_error.split(":")[0].rstrip(".")
        assert kafka_words in out.tool_text, (out.app_error, out.tool_text[:600])
    else:
        assert "NEW-OFFSET" in out.tool_text and "Error:" not in out.tool_text, out.tool_text[-1500:]
        assert out.app == out.tool, f"app {sorted(out.app.items())}\ntool {sorted(out.tool.items())}"


def test_exported_csv_equals_kafka_export(parity: dict[str, Outcome]) -> None:
    exported = {line for line in parity["export"].tool_text.splitlines() if line}
    assert exported, parity["export"].tool_text
    assert exported == set(parity[CASES[0].id].app_csv.splitlines())


def test_cases_cover_every_strategy_and_scope() -> None:
    names = Names("a", "b", "g", "h", 0, Path(tempfile.mkdtemp()))
    kinds = set()
    for c in CASES:
        with contextlib.suppress(PlanError):
            kinds.add(c.strategy(names).kind)
    assert kinds == set(STRATEGY_KINDS)
    assert {k for k, _ in SCOPES} == {"all-topics", "topic", "partitions"}
