"""The consumer-groups pane against the engine, with real members and a real consumer: list, members and partitions;
a reset previewed, exported, applied, read from by a consumer, and undone exactly; an active group refused with
Kafka's reason; the lag chart growing while a producer runs and no consumer does; confirmed deletes; read-only
profiles; qtmodeltester on every model of the pane."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.components.engine_proc import EngineProcess
from tests.components.process import wait_until
from tests.engine.test_groups_clients import MemberProcess
from tests.workbench.conftest import spec_for
from tests.workbench.groups_setup import commit, committed, create_topics, module_engine, produce
from workbench import settings as S
from workbench.main_window import MainWindow
from workbench.panes.groups import GroupsPane
from workbench.services.group_model import GroupSummary
from workbench.ui.widgets import TypedConfirmDialog

pytestmark = pytest.mark.slow
WAIT = 30_000


@pytest.fixture(scope="module")
def eng(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    yield from module_engine(tmp_path_factory)


def names() -> tuple[str, str]:
    sfx = uuid.uuid4().hex[:8]
    return f"gp-{sfx}", f"grp-{sfx}"


def wait_shown(qtbot: QtBot, pane: GroupsPane, *what: str, action: Any = None) -> None:
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w in what):
        if action is not None:
            action()


def open_groups(qtbot: QtBot, window: MainWindow, cluster: Any, **kw: Any) -> GroupsPane:
    pane = window.groups_pane
    wait_shown(qtbot, pane, "groups", action=lambda: window.open_spec(spec_for(cluster, **kw)))
    window.show_pane("groups")
    return pane


def row(pane: GroupsPane, group: str) -> GroupSummary:
    found = [g for g in pane.model.rows if g.group_id == group]
    assert found, f"{group} not listed: {[g.group_id for g in pane.model.rows]}"
    return found[0]


def select(qtbot: QtBot, pane: GroupsPane, group: str) -> None:
    wait_shown(qtbot, pane, "group", action=lambda: pane.select(group))


def confirm(dlg: TypedConfirmDialog | None, text: str) -> None:
    assert dlg is not None and dlg.isVisible()
    assert not dlg.ok.isEnabled()
    dlg.entry.setText(text)
    dlg.ok.click()


def wait_empty(bootstrap: str, group: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})

    def empty() -> bool:
        d = admin.describe_consumer_groups([group])[group].result(timeout=30)
        return str(d.state).endswith("EMPTY")
    wait_until(empty, 60, f"group {group} to be Empty")


def test_groups_list_members_and_partitions(qtbot: QtBot, qtmodeltester: Any, window: MainWindow,
                                            eng: EngineProcess) -> None:
    topic, active = names()
    idle = f"{active}-idle"
    create_topics(eng.bootstrap, {topic: 2})
    for p in range(2):
        produce(eng.bootstrap, topic, p, 10)
    commit(eng.bootstrap, idle, {(topic, 0): (4, "checkpoint-7"), (topic, 1): (10, "")})
    member = MemberProcess("confluent", eng.bootstrap, topic, active)
    try:
        wait_until(lambda: member.assigned == [0, 1] and len(member.committed) >= 20, 60,
                   "the member to own both partitions and commit all 20 messages")
        pane = open_groups(qtbot, window, eng)
        a, i = row(pane, active), row(pane, idle)
        assert (a.state, a.type, a.protocol_type, a.assignor, a.members, a.lag) == \
            ("Stable", "classic", "consumer", "range", 1, 0)
        assert a.coordinator == f"{eng.bootstrap} (1)"
        assert (i.state, i.protocol_type, i.members, i.lag) == ("Empty", "", 0, 6)  # it only ever committed

        select(qtbot, pane, active)
        [m] = pane.member_model.rows
        assert m.client_id == "rdkafka" and m.assignment == ((topic, 0), (topic, 1)) and m.member_id
        assert [(p.partition, p.committed, p.log_end, p.lag, p.member_id) for p in pane.partition_model.rows] == \
            [(0, 10, 10, 0, m.member_id), (1, 10, 10, 0, m.member_id)]
        assert pane.facts.text().startswith("Stable classic group") and "members: 1" in pane.facts.text()

        select(qtbot, pane, idle)
        assert not pane.member_model.rows
        assert [(p.committed, p.lag, p.metadata) for p in pane.partition_model.rows] == \
            [(4, 6, "checkpoint-7"), (10, 0, "")]
        assert pane.tabs.currentIndex() == 0

        pane.search.setText("-idle")
        assert [pane.proxy.index(r, 0).data() for r in range(pane.proxy.rowCount())] == [idle]
        assert pane.count_label.text().endswith(f"of {len(pane.model.rows)} groups")
        pane.search.clear()
        pane.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # by lag, largest first
        lags = [pane.model.rows[pane.proxy.mapToSource(pane.proxy.index(r, 0)).row()].lag
                for r in range(pane.proxy.rowCount())]
        assert lags == sorted(lags, key=lambda v: -1 if v is None else v, reverse=True) and lags[0] is not None
        assert pane.current == idle, "sorting keeps the selection"

        wait_shown(qtbot, pane, "plan", action=pane.reset.request_plan)  # all topics, to earliest
        pane.pin_button.click()
        assert pane.model.data(pane.model.index(pane.model.rows.index(row(pane, idle)), 0)).startswith("★")
        for model in (pane.model, pane.proxy, pane.member_model, pane.partition_model, pane.reset.model,
                      pane.reset.proxy, pane.history_model):
            qtmodeltester.check(model)
        member.terminate()
    finally:
        member.close()


def test_reset_preview_export_apply_then_undo_restores_exactly(qtbot: QtBot, window: MainWindow,
                                                                eng: EngineProcess, tmp_path: Path) -> None:
    topic, group = names()
    create_topics(eng.bootstrap, {topic: 2})
    for p in range(2):
        produce(eng.bootstrap, topic, p, 12)
    before = {(topic, 0): (8, "keep-me"), (topic, 1): (6, "")}
    commit(eng.bootstrap, group, before)
    pane = open_groups(qtbot, window, eng)
    select(qtbot, pane, group)
    panel = pane.reset
    panel.scope_kind.setCurrentIndex(panel.scope_kind.findData("topic"))
    panel.topic.setCurrentText(topic)
    panel.strategy.setCurrentIndex(panel.strategy.findData("to-offset"))
    panel.offset.setText("3")
    wait_shown(qtbot, pane, "plan", action=panel.preview_button.click)
    assert pane.tabs.currentWidget() is panel
    assert [(r.partition, r.current, r.new, r.reread, r.skipped) for r in panel.model.rows] == \
        [(0, 8, 3, 5, 0), (1, 6, 3, 3, 0)]
    assert "2 of 2 partitions would change, 8 messages read again, 0 skipped" in panel.summary.text()
    command = panel.command.toPlainText()
    assert command == (f"kafka-consumer-groups.sh --bootstrap-server {eng.bootstrap} --group {group} "
                       f"--reset-offsets --topic {topic} --to-offset 3 --dry-run")
    assert panel.apply_button.isEnabled() and not panel.banner.isVisible()
    exported = tmp_path / "plan.csv"
    window.groups_ctl.export_plan(str(exported))
    assert exported.read_text() == f"{topic},0,3\n{topic},1,3\n"
    assert committed(eng.bootstrap, group) == before, "a preview changes nothing"

    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "applied"):
        confirm(panel.ask_apply(), group)
    assert committed(eng.bootstrap, group) == {(topic, 0): (3, ""), (topic, 1): (3, "")}
    qtbot.waitUntil(lambda: len(pane.history_model.rows) == 1, timeout=WAIT)
    [done] = pane.history_model.rows
    assert done.rows == ((topic, 0, 8, "keep-me", None, 3), (topic, 1, 6, "", None, 3))
    assert "--execute" in done.command

    # a real consumer joining the group reads from the reset position
    consumer = Consumer({"bootstrap.servers": eng.bootstrap, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "latest", "session.timeout.ms": 6000})
    consumer.subscribe([topic])
    first: dict[int, int] = {}
    try:
        for _ in range(200):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                first.setdefault(msg.partition(), msg.offset())
            if len(first) == 2:
                break
    finally:
        consumer.close()
    assert first == {0: 3, 1: 3}
    wait_empty(eng.bootstrap, group)

    # undo from the history: a plan back to the replaced offsets (and metadata), applied
    pane.tabs.setCurrentIndex(3)
    pane.history_view.selectRow(0)
    assert pane.undo_button.isEnabled()
    wait_shown(qtbot, pane, "plan", action=pane.undo_button.click)
    assert panel.plan is not None and panel.plan.undo_of == done.id
    assert [(r.partition, r.current, r.new, r.metadata) for r in panel.model.rows] == \
        [(0, 3, 8, "keep-me"), (1, 3, 6, "")]
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "applied"):
        confirm(panel.ask_apply(), group)
    assert committed(eng.bootstrap, group) == before
    qtbot.waitUntil(lambda: len(pane.history_model.rows) == 2, timeout=WAIT)
    undone = window.store.resets(spec_for(eng).name, group)
    assert undone[1].undone_by == undone[0].id and undone[0].undo_of == undone[1].id


def test_undo_removes_commits_the_reset_created(qtbot: QtBot, window: MainWindow, eng: EngineProcess) -> None:
    topic, group = names()
    create_topics(eng.bootstrap, {topic: 2})
    produce(eng.bootstrap, topic, 1, 5)
    commit(eng.bootstrap, group, {(topic, 0): (0, "")})
    pane = open_groups(qtbot, window, eng)
    select(qtbot, pane, group)
    panel = pane.reset
    panel.scope_kind.setCurrentIndex(panel.scope_kind.findData("topic"))
    panel.topic.setCurrentText(topic)
    panel.strategy.setCurrentIndex(panel.strategy.findData("to-latest"))
    wait_shown(qtbot, pane, "plan", action=panel.preview_button.click)
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "applied"):
        confirm(panel.ask_apply(), group)
    assert committed(eng.bootstrap, group) == {(topic, 0): (0, ""), (topic, 1): (5, "")}
    qtbot.waitUntil(lambda: len(pane.history_model.rows) == 1, timeout=WAIT)
    pane.history_view.selectRow(0)
    wait_shown(qtbot, pane, "plan", action=pane.undo_button.click)
    assert [(r.partition, r.new) for r in panel.model.rows] == [(0, 0), (1, None)]
    assert f"--delete-offsets --topic {topic}:1" in panel.command.toPlainText()
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "applied"):
        confirm(panel.ask_apply(), group)
    assert committed(eng.bootstrap, group) == {(topic, 0): (0, "")}


def test_import_csv_in_kafkas_format(qtbot: QtBot, window: MainWindow, eng: EngineProcess, tmp_path: Path) -> None:
    topic, group = names()
    create_topics(eng.bootstrap, {topic: 2})
    for p in range(2):
        produce(eng.bootstrap, topic, p, 12)
    commit(eng.bootstrap, group, {(topic, 0): (5, ""), (topic, 1): (5, "")})
    pane = open_groups(qtbot, window, eng)
    select(qtbot, pane, group)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{topic};0;2\n")
    wait_shown(qtbot, pane, "plan-problem", action=lambda: window.groups_ctl.import_plan(group, str(bad)))
    assert pane.reset.banner.text.startswith("Line 1 of the file is not topic,partition,offset")
    good = tmp_path / "good.csv"
    good.write_text(f"{topic},0,2\n{topic},1,99\n")
    wait_shown(qtbot, pane, "plan", action=lambda: window.groups_ctl.import_plan(group, str(good)))
    assert pane.reset.strategy.currentData() == "from-file" and "2 partition(s)" in pane.reset.file_label.text()
    assert [(r.partition, r.new, r.note) for r in pane.reset.model.rows] == \
        [(0, 2, ""), (1, 12, "99 is above the log end offset: clamped to 12")]
    assert pane.reset.command.toPlainText().endswith(f"--reset-offsets --from-file {good} --dry-run")


def test_active_group_is_refused_with_kafkas_reason(qtbot: QtBot, window: MainWindow, eng: EngineProcess) -> None:
    topic, group = names()
    create_topics(eng.bootstrap, {topic: 2})
    for p in range(2):
        produce(eng.bootstrap, topic, p, 2)
    member = MemberProcess("confluent", eng.bootstrap, topic, group)
    try:
        wait_until(lambda: member.assigned == [0, 1] and len(member.committed) >= 4, 60, "the member to commit")
        before = committed(eng.bootstrap, group)
        pane = open_groups(qtbot, window, eng)
        select(qtbot, pane, group)
        wait_shown(qtbot, pane, "plan", action=pane.reset.preview_button.click)  # all topics, to earliest
        reason = f"Assignments can only be reset if the group '{group}' is inactive, but the current state is Stable."
        assert pane.reset.banner.text == reason
        assert not pane.reset.apply_button.isEnabled() and pane.reset.ask_apply() is None
        plan = pane.reset.plan
        assert plan is not None and [r.new for r in plan.rows] == [0, 0]  # the preview still says what it would do
        # even past the button (the group became active after the preview), the apply is refused
        wait_shown(qtbot, pane, "plan-problem", action=lambda: window.groups_ctl.apply(plan))
        assert pane.reset.banner.text == reason
        assert committed(eng.bootstrap, group) == before
        assert not window.store.resets(spec_for(eng).name, group)
        member.terminate()
    finally:
        member.close()


def test_lag_chart_grows_while_the_consumer_is_stopped(qtbot: QtBot, window: MainWindow, eng: EngineProcess) -> None:
    topic, group = names()
    create_topics(eng.bootstrap, {topic: 1})
    produce(eng.bootstrap, topic, 0, 3)
    commit(eng.bootstrap, group, {(topic, 0): (3, "")})  # caught up, then its consumer stopped
    window.store.set(S.LAG_SAMPLE_INTERVAL, 0.2)
    pane = open_groups(qtbot, window, eng)
    select(qtbot, pane, group)
    pane.tabs.setCurrentIndex(4)
    ctl = window.groups_ctl
    assert ctl.timer.isActive() and ctl.timer.interval() == 200
    assert group in pane.groups_on_screen()
    for expected in (4, 8, 12):  # the producer runs: 4 more messages each round
        produce(eng.bootstrap, topic, 0, 4)
        with qtbot.waitSignal(ctl.lags_sampled, timeout=WAIT, check_params_cb=lambda lags, e=expected:
                              lags.get(group) == e):
            pass
    qtbot.waitUntil(lambda: bool(pane.chart.points) and pane.chart.points[-1][1] == 12, timeout=WAIT)
    lags = [v for _t, v in pane.chart.points]
    assert lags == sorted(lags) and {4, 8, 12} <= set(lags), lags
    assert pane.chart.series.count() == len(lags)
    assert "12 messages" in pane.chart.chart().title()
    with sqlite3.connect(window.store.path) as db:
        stored = [v for (v,) in db.execute("select lag from lag_samples where cluster = ? and group_id = ? "
                                           "order by ts", (spec_for(eng).name, group))]
    assert stored == sorted(stored) and {4, 8, 12} <= set(stored), stored
    assert row(pane, group).lag == 12


def test_deletes_are_confirmed_and_read_only_disables_them(qtbot: QtBot, window: MainWindow,
                                                          eng: EngineProcess) -> None:
    topic, group = names()
    other = f"{topic}-other"
    create_topics(eng.bootstrap, {topic: 2, other: 1})
    commit(eng.bootstrap, group, {(topic, 0): (0, ""), (topic, 1): (0, ""), (other, 0): (0, "")})
    pane = open_groups(qtbot, window, eng, read_only=True)
    select(qtbot, pane, group)
    assert window.read_only_badge.text().strip().endswith("read-only")
    for button in (pane.delete_button, pane.delete_offsets_button, pane.undo_button):
        assert not button.isEnabled()
    assert pane.ask_delete_group() is None and pane.ask_delete_offsets() is None
    wait_shown(qtbot, pane, "plan", action=pane.reset.preview_button.click)
    assert pane.reset.plan is not None and pane.reset.export_button.isEnabled()  # planning is reading: allowed
    assert not pane.reset.apply_button.isEnabled() and pane.reset.ask_apply() is None
    assert pane.pin_button.isEnabled()

    pane = open_groups(qtbot, window, eng)
    select(qtbot, pane, group)
    pane.offsets_topic.setCurrentText(topic)
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "group"):
        confirm(pane.ask_delete_offsets(), topic)
    assert committed(eng.bootstrap, group) == {(other, 0): (0, "")}
    assert [p.topic for p in pane.partition_model.rows] == [other]
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "groups"):
        confirm(pane.ask_delete_group(), group)
    assert group not in [g.group_id for g in pane.model.rows]
    assert pane.current is None
