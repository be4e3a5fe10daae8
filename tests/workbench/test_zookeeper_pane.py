"""The ZooKeeper pane: against Kafka 3.9's ZooKeeper it shows broker registrations, topics, partition states and
the controller in Kafka's terms; create/edit/delete; srvr/mntr; paging; watches; a cluster without ZooKeeper says so."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from kazoo.client import KazooClient
from pytestqt.qtbot import QtBot

from tests.workbench.conftest import spec_for
from workbench.main_window import MainWindow
from workbench.panes.zookeeper import ZooKeeperPane

pytestmark = pytest.mark.slow
WAIT = 30_000


def expand(qtbot: QtBot, pane: ZooKeeperPane, path: str) -> list[str]:
    if path not in pane.model.loaded_paths():
        with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == f"children:{path}"):
            assert pane.expand_path(path)
    return pane.model.children_of(path)


def select(qtbot: QtBot, pane: ZooKeeperPane, path: str) -> None:
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "node"):
        assert pane.select_path(path)
    assert pane.node is not None and pane.node.path == path


def rows(pane: ZooKeeperPane) -> dict[str, str]:
    return dict(pane.meaning_model.rows)  # type: ignore[arg-type]


def open_zk(qtbot: QtBot, window: MainWindow, cluster: Any) -> ZooKeeperPane:
    pane = window.zk_pane
    window.show_pane("zookeeper")
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "children:/"):
        window.open_spec(spec_for(cluster))
    return pane


def test_zookeeper_pane_speaks_kafka(qtbot: QtBot, qtmodeltester: Any, window: MainWindow, kafka_zk: Any) -> None:
    topic = f"zk-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": kafka_zk.bootstrap})
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(timeout=60)
    pane = open_zk(qtbot, window, kafka_zk)
    assert {"brokers", "controller", "controller_epoch", "cluster", "config", "admin"} <= \
        set(pane.model.children_of("/"))

    assert expand(qtbot, pane, "/brokers") == ["ids", "seqid", "topics"]
    assert expand(qtbot, pane, "/brokers/ids") == ["1"]
    select(qtbot, pane, "/brokers/ids/1")
    host, port = kafka_zk.bootstrap.rsplit(":", 1)
    assert pane.meaning_label.text() == f"Broker 1 registered at {host}:{port}"
    assert rows(pane)["Endpoints"] == f"PLAINTEXT://{kafka_zk.bootstrap}"
    assert "ephemeral" in dict(pane.stat_model.rows)["Ephemeral owner"]  # type: ignore[arg-type]

    assert topic in expand(qtbot, pane, "/brokers/topics")
    select(qtbot, pane, f"/brokers/topics/{topic}")
    assert pane.meaning_label.text() == f"Topic {topic}: 2 partitions, replication factor 1"
    assert rows(pane)["Partition 1 replicas"] == "1"
    expand(qtbot, pane, f"/brokers/topics/{topic}")
    expand(qtbot, pane, f"/brokers/topics/{topic}/partitions")
    expand(qtbot, pane, f"/brokers/topics/{topic}/partitions/0")
    select(qtbot, pane, f"/brokers/topics/{topic}/partitions/0/state")
    assert pane.meaning_label.text() == f"Partition {topic}-0: leader broker 1, ISR [1]"
    assert rows(pane)["In-sync replicas (ISR)"] == "1"

    select(qtbot, pane, "/controller")
    assert pane.meaning_label.text() == "The active controller is broker 1"
    select(qtbot, pane, "/controller_epoch")
    assert pane.meaning_label.text().startswith("Controller epoch ")
    expand(qtbot, pane, "/cluster")
    select(qtbot, pane, "/cluster/id")
    assert pane.meaning_label.text().startswith("Cluster id ") and len(rows(pane)["Cluster id"]) >= 20

    # data viewers
    select(qtbot, pane, "/brokers/ids/1")
    pane.mode.setCurrentText("JSON")
    assert '"endpoints": [' in pane.data_view.toPlainText()
    pane.mode.setCurrentText("Hex")
    assert pane.data_view.toPlainText().startswith("00000000  7b")
    assert pane.acl_model.rows == [("world:anyone all",)]

    # server state
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "server"):
        pane.server_state_requested.emit("srvr")
    assert "Mode: standalone" in pane.server_text.toPlainText()
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "server"):
        pane.server_state_requested.emit("mntr")
    assert "zk_znode_count" in pane.server_text.toPlainText()

    qtmodeltester.check(pane.model)
    for model in (pane.meaning_model, pane.stat_model, pane.acl_model):
        qtmodeltester.check(model)


def test_zookeeper_create_edit_delete_paging_and_watches(qtbot: QtBot, window: MainWindow, kafka_zk: Any) -> None:
    base = f"/wb-{uuid.uuid4().hex[:6]}"
    pane = open_zk(qtbot, window, kafka_zk)
    pane.model.page_size = 10

    # create through the pane's intent; the tree shows it
    select(qtbot, pane, "/")
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "children:/"):
        pane.create_requested.emit(base, b'{"a": 1}')
    assert base[1:] in pane.model.children_of("/")

    # paged children: 25 children show as 10 + "more", twice, then all
    zk = KazooClient(hosts=kafka_zk.zookeeper)
    zk.start(timeout=15)
    try:
        for i in range(25):
            zk.create(f"{base}/c{i:02d}", b"x")
        names = expand(qtbot, pane, base)
        assert len(names) == 10
        parent = pane.model.index_of(base)
        for shown in (20, 25):
            more = pane.model.index(pane.model.rowCount(parent) - 1, 0, parent)
            assert "more" in more.data()
            pane.model.load_more(more)
            assert len(pane.model.children_of(base)) == shown

        # a watch on a shown node: a change made elsewhere appears without a manual refresh
        select(qtbot, pane, f"{base}/c00")
        assert f"children:{base}" in window.session.zk.watched  # type: ignore[union-attr]
        with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "node"):
            zk.set(f"{base}/c00", b"changed elsewhere")
        assert pane.node is not None and pane.node.data == b"changed elsewhere"
        with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == f"children:{base}"):
            zk.create(f"{base}/zz", b"")

        # edit with the version read (a stale version is refused with a clear sentence)
        with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "node"):
            pane.save_requested.emit(f"{base}/c00", b"edited", pane.node.stat.version)
        assert zk.get(f"{base}/c00")[0] == b"edited"
        with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "problem"):
            pane.save_requested.emit(f"{base}/c00", b"stale", 0)
        assert pane.banner.text == "The node changed since it was read: refresh and try again."

        # delete
        with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == f"children:{base}"):
            pane.delete_requested.emit(f"{base}/zz", -1)
        assert zk.exists(f"{base}/zz") is None
    finally:
        zk.delete(base, recursive=True)
        zk.stop()
        zk.close()


@pytest.mark.parametrize("cluster", ["engine", "kafka_kraft", "tansu"])
def test_cluster_without_zookeeper_says_so(qtbot: QtBot, window: MainWindow, cluster: str,
                                           request: pytest.FixtureRequest) -> None:
    broker = request.getfixturevalue(cluster)
    assert broker.zookeeper is None
    with qtbot.waitSignal(window.zk_pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "unavailable"):
        window.open_spec(spec_for(broker))
    assert window.zk_pane.unavailable_text.startswith(f"{broker.name} has no ZooKeeper")
