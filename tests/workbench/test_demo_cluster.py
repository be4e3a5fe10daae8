"""The demo cluster from the Local pane, with real processes: three ZooKeeper nodes (Debian's, on Java) and three
engine brokers in ZooKeeper mode. A partition leader killed from the pane moves and the ISR shrinks in the topics pane
on its own; restarted, the ISR is full again; a ZooKeeper node stopped and started leaves the cluster working. Plus the
files it writes (accepted by the engine as written) and the sentence when Java or ZooKeeper is missing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.config import load_broker_config, parse_properties_text
from tests.workbench.stall import StallProbe
from workbench.local_broker import pid_alive
from workbench.main_window import MainWindow
from workbench.services import demo_members
from workbench.services.demo_cluster import DemoCluster
from workbench.services.demo_members import PROFILE_NAME, server_properties, zoo_cfg
from workbench.services.model import PartitionState
from workbench.store import Store
from workbench.ui.demo_panel import DemoClusterPanel

START_WAIT = 90_000  # ms: three JVMs and three Python brokers on two shared cores
STALL_LIMIT_MS = 300  # catches a wait on a process or a socket; two cores are shared with JVMs starting (~110-180 ms)
CHANGE_WAIT = 45_000  # ms: a killed broker is noticed after the 6 s ZooKeeper session timeout, then the controller acts


def needs_zookeeper() -> None:
    if demo_members.missing_requirements():
        pytest.skip("component missing: zookeeper (install Debian's zookeeper and default-jre-headless packages)")


def partition(window: MainWindow) -> PartitionState | None:
    rows = window.topics_pane.partition_model.rows
    return rows[0] if rows else None


def click(qtbot: QtBot, panel: DemoClusterPanel, action: str, key: str) -> None:
    panel.select(key)
    button = panel.member_buttons[action]
    qtbot.waitUntil(button.isEnabled, timeout=5_000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def diagnose(window: MainWindow) -> str:
    """What the window shows, for a wait that timed out."""
    members = "; ".join(f"{m.name} {m.state} {m.role} {m.message}" for m in window.demo.members)
    return (f"status: {window.status_label.text()!r}; topics pane: current={window.topics_pane.current!r} "
            f"rows={window.topics_pane.partition_model.rows} banner={window.topics_pane.banner.text!r}; "
            f"session={window.session.spec.name if window.session else None}; members: {members}")


def wait(qtbot: QtBot, window: MainWindow, cond: Callable[[], object], timeout: int, what: str) -> None:
    try:
        qtbot.waitUntil(lambda: bool(cond()), timeout=timeout)
    except Exception as exc:  # pytest-qt's TimeoutError: say what the window showed instead
        raise AssertionError(f"waited {timeout / 1000:g} s for {what}; {diagnose(window)}") from exc


def state(window: MainWindow, key: str) -> str:
    return window.demo.member(key).state


@pytest.mark.slow
def test_failover_from_the_pane(qtbot: QtBot, window: MainWindow, store: Store) -> None:
    needs_zookeeper()
    panel = window.local_pane.demo
    window.show_pane("local")
    window.local_pane.tabs.setCurrentWidget(panel)
    listed: list[object] = []
    window.topics_ctl.topics_loaded.connect(listed.append)
    probe = StallProbe().start()  # the GUI thread never waits for a process: six start here, one dies, ...
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    window.tasks.cancel_all()  # as opening another connection does: the start goes on regardless
    wait(qtbot, window, lambda: panel.cluster_state == "running", START_WAIT, "the demo cluster to run")
    wait(qtbot, window, lambda: window.session is not None and window.session.spec.name == PROFILE_NAME, 30_000,
         "its connection to open")
    profile = store.load_profile(PROFILE_NAME)
    assert profile.bootstrap == window.demo.bootstrap and len(profile.bootstrap.split(",")) == 3
    assert profile.zookeeper == window.demo.zk_connect and len(profile.zookeeper.split(",")) == 3
    assert [m.role for m in window.demo.zookeepers].count("leader") == 1

    # an RF-3 topic, created from the topics pane (once it has listed the cluster's topics, as a person would see
    # it do first), shown with three replicas all in sync
    window.show_pane("topics")
    wait(qtbot, window, lambda: bool(listed), 30_000, "the topics pane's first listing")
    window.topics_pane.create_requested.emit("failover", 1, 3, {"min.insync.replicas": "2"})

    def full(p: PartitionState | None) -> bool:
        return p is not None and len(p.replicas) == 3 and sorted(p.isr) == [1, 2, 3] and p.leader in (1, 2, 3)
    wait(qtbot, window, lambda: full(partition(window)), CHANGE_WAIT, "the new topic with three replicas in sync")
    first = partition(window)
    assert first is not None
    leader = first.leader

    # the ZooKeeper pane on the partition's state node (it follows the node through a watch)
    zk = window.zk_pane
    window.show_pane("zookeeper")
    for path in ("/", "/brokers", "/brokers/topics", "/brokers/topics/failover", "/brokers/topics/failover/partitions",
                 "/brokers/topics/failover/partitions/0"):
        wait(qtbot, window, lambda p=path: zk.model.index_of(p).isValid(), 30_000, f"{path} in the tree")
        if path not in zk.model.loaded_paths():
            zk.expand_path(path)
            wait(qtbot, window, lambda p=path: p in zk.model.loaded_paths(), 30_000, f"the children of {path}")
    state_node = "/brokers/topics/failover/partitions/0/state"
    zk.select_path(state_node)

    def zk_isr() -> list[int]:
        text = dict(zk.meaning_model.rows).get("In-sync replicas (ISR)", "") if zk.node is not None else ""
        return sorted(int(x) for x in text.split(", ") if x.strip().isdigit())
    wait(qtbot, window, lambda: zk_isr() == [1, 2, 3], 30_000, "the state node's ISR")

    # kill the leader from the pane (SIGKILL): the topics pane shows the new leader and the shrunken ISR by itself
    window.show_pane("local")
    click(qtbot, panel, "kill", f"broker-{leader}")
    wait(qtbot, window, lambda: state(window, f"broker-{leader}") == "killed", 10_000, "the kill")
    assert panel.cluster_state == "partial"
    window.show_pane("topics")

    def failed_over(p: PartitionState | None) -> bool:
        return p is not None and p.leader not in (leader, -1) and leader not in p.isr and len(p.isr) == 2
    wait(qtbot, window, lambda: failed_over(partition(window)), CHANGE_WAIT, "a new leader and a shrunken ISR")
    after = partition(window)
    assert after is not None and after.under_replicated and after.replicas == first.replicas
    assert "under-replicated" in window.topics_pane.title.text()
    listed = {t.name: t for t in window.topics_pane.model.topics}
    assert listed["failover"].under_replicated == 1  # the list's URP column agrees with the details
    wait(qtbot, window, lambda: zk_isr() == sorted({1, 2, 3} - {leader}), CHANGE_WAIT,
         "the ZooKeeper pane to show the shrunken ISR of the state node")
    window.show_pane("brokers")
    wait(qtbot, window, lambda: sorted(b.id for b in window.brokers_pane.brokers) == sorted({1, 2, 3} - {leader}),
         CHANGE_WAIT, "the brokers pane to show two brokers")

    # start it again from the pane: it catches up and the ISR is full again
    window.show_pane("local")
    click(qtbot, panel, "start", f"broker-{leader}")
    wait(qtbot, window, lambda: state(window, f"broker-{leader}") == "running", START_WAIT, "the broker to return")
    window.show_pane("topics")
    wait(qtbot, window, lambda: full(partition(window)), CHANGE_WAIT, "the ISR to be full again")
    assert {t.name: t for t in window.topics_pane.model.topics}["failover"].under_replicated == 0

    # stop the ZooKeeper leader: the two others elect a leader and the cluster goes on (a topic can be created)
    zk_leader = next(n for n in window.demo.zookeepers if n.role == "leader")
    window.show_pane("local")
    click(qtbot, panel, "stop", zk_leader.key)
    wait(qtbot, window, lambda: state(window, zk_leader.key) == "stopped", 30_000, "the ZooKeeper node to stop")
    wait(qtbot, window, lambda: sorted(n.role for n in window.demo.zookeepers if n.state == "running")
         == ["follower", "leader"], CHANGE_WAIT, "the two other ZooKeeper nodes to elect a leader")
    window.show_pane("topics")
    window.topics_pane.create_requested.emit("after-zk-stop", 1, 3, {})
    wait(qtbot, window, lambda: window.topics_pane.current == "after-zk-stop" and full(partition(window)),
         CHANGE_WAIT, "a topic created with a ZooKeeper node down")
    window.show_pane("local")
    click(qtbot, panel, "start", zk_leader.key)
    wait(qtbot, window, lambda: state(window, zk_leader.key) == "running" and zk_leader.role == "follower",
         START_WAIT, "the ZooKeeper node to rejoin as a follower")
    wait(qtbot, window, lambda: panel.cluster_state == "running", 10_000, "the whole cluster to run")

    # stop the whole cluster from the pane: brokers first, then the ensemble; every process gone, by its pid
    pids = [m.pid for m in window.demo.members]
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    wait(qtbot, window, lambda: panel.cluster_state == "stopped", 60_000, "the cluster to stop")
    longest = probe.stop()
    print(f"longest event-loop stall: {longest * 1000:.0f} ms")
    assert longest * 1000 < STALL_LIMIT_MS, f"the event loop stalled for {longest * 1000:.0f} ms"
    assert all(m.pid is None and m.state == "stopped" for m in window.demo.members)
    assert not any(pid_alive(pid) for pid in pids if pid is not None)


@pytest.mark.slow
def test_leaving_the_app_stops_the_demo_cluster(qtbot: QtBot, window: MainWindow) -> None:
    """The window hides at once; the six processes are stopped behind it (brokers first), by their pids."""
    needs_zookeeper()
    panel = window.local_pane.demo
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    wait(qtbot, window, lambda: panel.cluster_state == "running", START_WAIT, "the demo cluster to run")
    pids = [m.pid for m in window.demo.members]
    assert all(pids)
    with qtbot.waitSignal(window.left, timeout=60_000):
        window.close()
        assert not window.isVisible()
    assert not any(pid_alive(pid) for pid in pids if pid is not None)
    assert all(m.state == "stopped" for m in window.demo.members)


def test_missing_java_and_zookeeper_are_named(qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setattr(demo_members, "ZK_JAR", tmp_path / "zookeeper.jar")
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    panel = window.local_pane.demo
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.cluster_state == "missing", timeout=5_000)
    text = panel.banner.text
    assert "default-jre-headless" in text and "Debian package zookeeper" in text
    assert "sudo apt-get install default-jre-headless zookeeper" in text
    assert not panel.start_button.isEnabled()
    assert all(m.pid is None for m in window.demo.members)
    assert "apt-get install" in window.status_label.text()


def test_files_are_shaped_like_the_tutorials(tmp_path: Path) -> None:
    cluster = DemoCluster(tmp_path / "demo")
    cluster._choose_ports()
    cluster._write_configs()
    cfg = (tmp_path / "demo" / "zk2" / "zoo.cfg").read_text()
    for line in ("tickTime=2000", "initLimit=10", "syncLimit=5", "clientPortAddress=127.0.0.1"):
        assert line in cfg.splitlines()
    servers = [line for line in cfg.splitlines() if line.startswith("server.")]
    assert servers == [f"server.{n.ident}=127.0.0.1:{n.quorum_port}:{n.election_port}" for n in cluster.zookeepers]
    assert (tmp_path / "demo" / "zk2" / "data" / "myid").read_text() == "2\n"
    assert zoo_cfg(cluster.zookeepers[1], cluster.zookeepers) == cfg
    props = server_properties(cluster.brokers[0], cluster.zk_connect)
    settings = parse_properties_text(props, "server.properties")
    for key, value in (("broker.id", "1"), ("offsets.topic.replication.factor", "3"),
                       ("transaction.state.log.replication.factor", "3"), ("transaction.state.log.min.isr", "2"),
                       ("zookeeper.connect", cluster.zk_connect)):
        assert settings[key] == value
    config = load_broker_config(settings)  # the engine takes the file as written
    assert config.node_id == 1 and config["zookeeper.connect"] == cluster.zk_connect
    ports = [m.port for m in cluster.members] + [n.quorum_port for n in cluster.zookeepers] + \
        [n.election_port for n in cluster.zookeepers]
    assert len(set(ports)) == 12 and all(ports)
    again = DemoCluster(tmp_path / "demo")  # ports are kept for the next start
    assert again.bootstrap == cluster.bootstrap and again.zk_connect == cluster.zk_connect


def test_frozen_app_starts_brokers_from_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    cluster = DemoCluster(tmp_path / "demo")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    cmd, _env = cluster._command(cluster.brokers[0])
    assert cmd == [sys.executable, "--run-broker", str(cluster.brokers[0].config_path)]
    zk_cmd, _ = cluster._command(cluster.zookeepers[0])
    assert zk_cmd[0] == "java" and zk_cmd[-2:] == ["org.apache.zookeeper.server.quorum.QuorumPeerMain",
                                                   str(cluster.zookeepers[0].config_path)]


def test_a_cluster_left_by_a_crashed_app_is_found(tmp_path: Path) -> None:
    """The pids in cluster.json that still run one of our processes (their command line names the cluster's
    directory) are stopped before a new start; an unrelated process that took a recorded pid is left alone."""
    import json
    import subprocess
    import sys

    root = tmp_path / "demo"
    root.mkdir()
    ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(root / "broker1")],
                            start_new_session=True)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        (root / "cluster.json").write_text(json.dumps({
            "broker-1": {"port": 1, "quorum": 0, "election": 0, "pid": ours.pid},
            "broker-2": {"port": 2, "quorum": 0, "election": 0, "pid": other.pid}}))
        assert DemoCluster(root)._leftovers() == [ours.pid]
    finally:
        for p in (ours, other):
            p.kill()
            p.wait(10)
