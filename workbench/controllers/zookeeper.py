"""The ZooKeeper feature: the lazy tree, node data with its Kafka meaning, edits, and server state."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject

from workbench import settings as S
from workbench.controllers.base import Controller, StatusLine
from workbench.errors import Problem
from workbench.panes.zookeeper import ZooKeeperPane
from workbench.services.zk import ZkBrowser
from workbench.services.zk_kafka import decode
from workbench.session import Session
from workbench.store import Store
from workbench.ui.tasks import TaskRunner


class ZooKeeperController(Controller):
    pane_key = "zookeeper"

    def __init__(self, pane: ZooKeeperPane, tasks: TaskRunner, status: StatusLine, store: Store,
                 parent: QObject | None = None) -> None:
        super().__init__(tasks, status, parent)
        self.pane = pane
        self.store = store
        pane.children_requested.connect(self.load_children)
        pane.node_requested.connect(self.load_node)
        pane.node_hidden.connect(lambda key: self.zk.forget(key) if self.zk is not None else None)
        pane.create_requested.connect(self.create)
        pane.save_requested.connect(self.save)
        pane.delete_requested.connect(self.delete)
        pane.server_state_requested.connect(self.server_state)
        pane.refresh_requested.connect(self.refresh)

    @property
    def zk(self) -> ZkBrowser | None:
        return self.session.zk if self.session is not None else None

    def on_connection(self, session: Session | None) -> None:
        if session is not None:
            self.pane.set_read_only(session.read_only)
            self.refresh()

    def refresh(self) -> None:
        session = self.session
        if session is None:
            return
        connect = session.spec.zookeeper
        if not connect:
            self.pane.show_unavailable(
                f"{session.spec.name} has no ZooKeeper: this profile has no ZooKeeper connect string. KRaft "
                "clusters (Kafka 4 and later) and the Local broker keep their metadata without ZooKeeper. "
                "For a ZooKeeper-mode cluster, add its connect string to the profile.")
            return
        if session.zk is None:
            session.zk = ZkBrowser(connect, self.store.get(S.ZK_TIMEOUT), session.read_only,
                                   self.store.get(S.ZK_WATCH_BUDGET), on_change=self.pane.node_changed)
        zk = session.zk

        async def work() -> None:
            await zk.start()
            self.pane.show_available(connect)
        self.tasks.run(f"connecting to ZooKeeper at {connect}", work(), key="zk", on_error=self.pane.show_problem)

    def load_children(self, path: str) -> None:
        zk = self.zk
        if zk is None:
            return

        def failed(p: Problem) -> None:
            self.pane.model.fail(path)
            self.pane.show_problem(p)
        self.tasks.run(f"listing the children of {path}", zk.children(path, watch=True),
                       lambda names: self.pane.show_children(path, names), on_error=failed)

    def load_node(self, path: str) -> None:
        zk = self.zk
        if zk is not None:
            self.tasks.run(f"reading {path}", zk.node(path, watch=True),
                           lambda node: self.pane.show_node(node, decode(node.path, node.data)), key="zk-node",
                           on_error=self.pane.show_problem)

    def _reload_parent(self, path: str, text: str) -> None:
        self.status.inform(text)
        self.load_children(path.rsplit("/", 1)[0] or "/")

    def create(self, path: str, data: bytes) -> None:
        zk = self.zk
        if zk is not None:
            self.tasks.run(f"creating {path}", zk.create(path, data),
                           lambda _r: self._reload_parent(path, f"Created {path}."), on_error=self.pane.show_problem)

    def save(self, path: str, data: bytes, version: int) -> None:
        zk = self.zk
        if zk is not None:
            def done(_r: object) -> None:
                self.status.inform(f"Saved {path}.")
                self.load_node(path)
            self.tasks.run(f"writing {path}", zk.set_data(path, data, version), done, on_error=self.pane.show_problem)

    def delete(self, path: str, version: int) -> None:
        zk = self.zk
        if zk is not None:
            self.tasks.run(f"deleting {path}", zk.delete(path, version),
                           lambda _r: self._reload_parent(path, f"Deleted {path}."), on_error=self.pane.show_problem)

    def server_state(self, word: str) -> None:
        zk = self.zk
        if zk is not None:
            self.tasks.run(f"asking ZooKeeper {word}", zk.four_letter_word(word),
                           lambda text: self.pane.show_server_state(word, text), on_error=self.pane.show_problem)

    def shutdown(self) -> None:
        session = self.session
        if session is not None and session.zk is not None:
            zk, session.zk = session.zk, None
            threading.Thread(target=zk.close_now, name="zk-close", daemon=True).start()
