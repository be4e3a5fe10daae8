"""Screenshots of the consumer-groups pane, for looking at (not committed): the real app on a bundled engine with a few
groups (one with a live member), a reset plan, the history after applying it, an undo plan and the lag chart.

    .venv/bin/python -m tests.workbench.screenshots_groups [OUT_DIR]             (offscreen)
    xvfb-run -a .venv/bin/python -m tests.workbench.screenshots_groups [OUT_DIR]

Writes groups-list.png, group-members.png, plan-preview.png, plan-refused.png, history.png, undo-plan.png and
lag-chart.png (default OUT_DIR: /tmp/shots-groups).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.workbench.app_harness import AppHarness, until


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots-groups").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wb-shots-groups-"))

    from tests.components.engine_proc import EngineProcess
    from tests.engine.test_groups_clients import GROUP_OVERRIDES, MemberProcess
    from tests.workbench.groups_setup import commit, create_topics, produce
    from workbench import settings as S
    from workbench.services.connection import ConnectionSpec
    from workbench.services.reset_plan import Scope, Strategy

    eng = EngineProcess(home / "engine", dict(GROUP_OVERRIDES))
    eng.start()
    bs = eng.bootstrap
    create_topics(bs, {"orders": 3, "payments": 2, "audit": 1})
    now = int(time.time() * 1000)
    for p in range(3):
        produce(bs, "orders", p, 400 + 37 * p, [now - 7_200_000 + i * 15_000 for i in range(400 + 37 * p)])
    for p in range(2):
        produce(bs, "payments", p, 120)
    produce(bs, "audit", 0, 50)
    commit(bs, "billing", {("orders", 0): (310, "batch-17"), ("orders", 1): (402, ""), ("orders", 2): (350, ""),
                           ("payments", 0): (120, ""), ("payments", 1): (95, "")})
    commit(bs, "analytics-etl", {("orders", 0): (400, "run=2024-06-01"), ("orders", 1): (437, ""),
                                 ("orders", 2): (474, "")})
    commit(bs, "audit-archiver", {("audit", 0): (12, "")})
    member = MemberProcess("confluent", bs, "payments", "shipping")

    harness = AppHarness(home, size=(1440, 860), settings={S.LAG_SAMPLE_INTERVAL: 0.5})
    app, store, window = harness.app, harness.store, harness.window
    pane = window.groups_pane

    def shot(name: str, widget: Any = None) -> None:
        app.processEvents()
        harness.shot(out, name, widget)

    async def settle(seconds: float = 0.4) -> None:
        await asyncio.sleep(seconds)
        app.processEvents()

    async def run() -> None:
        await until(lambda: member.assigned == [0, 1] and len(member.committed) >= 240, 60, "the shipping member")
        window.open_spec(ConnectionSpec(name="local-engine", bootstrap=bs))
        window.show_pane("groups")
        await until(lambda: len(pane.model.rows) >= 4, 30, "groups")
        store.set_pinned("local-engine", "billing", True)
        pane.set_pinned(store.pinned_groups("local-engine"))
        pane.select("billing")
        await until(lambda: bool(pane.partition_model.rows), 30, "billing's partitions")
        await settle()
        shot("groups-list")

        pane.select("shipping")
        await until(lambda: bool(pane.member_model.rows), 30, "shipping's members")
        pane.tabs.setCurrentIndex(1)
        await settle()
        shot("group-members")

        window.groups_ctl.make_plan("shipping", Strategy("to-earliest"), Scope.all())
        await until(lambda: pane.reset.plan is not None and pane.reset.plan.group == "shipping", 30, "refusal")
        await settle()
        shot("plan-refused")

        pane.select("billing")
        await until(lambda: bool(pane.partition_model.rows), 30, "billing again")
        panel = pane.reset
        panel.scope_kind.setCurrentIndex(panel.scope_kind.findData("topic"))
        panel.topic.setCurrentText("orders")
        panel.strategy.setCurrentIndex(panel.strategy.findData("by-duration"))
        panel.duration.setText("PT45M")
        panel.request_plan()
        await until(lambda: panel.plan is not None and panel.plan.group == "billing", 30, "the plan")
        await settle()
        shot("plan-preview")

        plan = panel.plan
        assert plan is not None
        window.groups_ctl.apply(plan)
        await until(lambda: len(pane.history_model.rows) == 1, 30, "the history")
        pane.tabs.setCurrentIndex(3)
        pane.history_view.selectRow(0)
        await settle()
        shot("history")
        pane.undo_button.click()
        await until(lambda: panel.plan is not None and panel.plan.undo_of is not None, 30, "the undo plan")
        await settle()
        shot("undo-plan")

        pane.tabs.setCurrentIndex(4)
        for _ in range(8):
            produce(bs, "orders", 1, 25)
            produce(bs, "payments", 1, 10)
            seen = len(pane.chart.points)
            await until(lambda s=seen: len(pane.chart.points) > s, 30, "a new lag sample")
        await settle(0.6)
        shot("lag-chart")

    try:
        with harness:
            harness.run(run())
    finally:
        member.terminate()
        member.close()
        eng.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
