"""The topics feature: list, describe, create, delete, configs, partitions and records of topics."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QObject, Signal

from workbench.controllers.base import Controller, StatusLine
from workbench.errors import Problem
from workbench.panes.topics import TopicsPane
from workbench.services.model import PartitionState, TopicSummary
from workbench.session import Session
from workbench.ui.tasks import TaskRunner


class TopicsController(Controller):
    pane_key = "topics"
    retries = True
    #: the topic list of the open connection changed (other panes offer it in their topic choosers)
    topics_loaded = Signal(object)

    def __init__(self, pane: TopicsPane, tasks: TaskRunner, status: StatusLine, parent: QObject | None = None) -> None:
        super().__init__(tasks, status, parent)
        self.pane = pane
        self._live: asyncio.Task[Any] | None = None
        pane.refresh_requested.connect(self.refresh)
        pane.topic_selected.connect(self.load_topic)
        pane.create_requested.connect(self.create)
        pane.delete_requested.connect(self.delete)
        pane.configs_save_requested.connect(self.save_configs)
        pane.add_partitions_requested.connect(self.add_partitions)
        pane.delete_records_requested.connect(self.delete_records)

    def on_connection(self, session: Session | None) -> None:
        self.pane.clear()
        if session is not None:
            self.pane.set_read_only(session.read_only)
            self.refresh()

    def refresh(self) -> None:
        admin = self.admin
        if admin is None:
            return

        def failed(problem: Problem) -> None:
            self.pane.show_problem(problem)
            self.refresh_failed(problem)
        self.tasks.run("listing topics", admin.list_topics(), self._show_topics, key="topics", on_error=failed)

    def _show_topics(self, topics: list[TopicSummary]) -> None:
        self.pane.show_topics(topics)
        self.topics_loaded.emit(topics)
        if self.admin is not None:
            self.refresh_worked(f"{len(topics):,} topics on {self.admin.spec.name}.")

    def refresh_live(self) -> None:
        """The cluster may have changed (leaders, ISR): reload the list's figures in place and the shown topic's
        partitions. A beat while the previous one is still on its way is skipped (replacing it, a slow cluster would
        never answer)."""
        admin, topic = self.admin, self.pane.current
        if admin is None or not self.pane.isVisible() or (self._live is not None and not self._live.done()):
            return

        async def work() -> tuple[list[TopicSummary], list[PartitionState] | None]:
            topics = await admin.list_topics()
            return topics, (await admin.partitions(topic) if topic is not None else None)

        def done(result: tuple[list[TopicSummary], list[PartitionState] | None]) -> None:
            topics, parts = result
            if admin is not self.admin:
                return
            self.pane.update_topics(topics)
            if topic is not None and parts is not None:
                self.pane.show_partitions(topic, parts)
        self._live = self.tasks.run("reloading topics", work(), done,
                                    on_error=lambda _p: None)  # a beat that fails is tried again at the next

    def load_topic(self, topic: str) -> None:
        admin = self.admin
        if admin is None:
            return
        self.tasks.run(f"describing {topic}", admin.partitions(topic),
                       lambda parts: self.pane.show_partitions(topic, parts), key="topic-partitions",
                       on_error=self.pane.show_problem)
        self.tasks.run(f"reading the configs of {topic}", admin.configs("topic", topic),
                       lambda cfg: self.pane.show_configs(topic, cfg), key="topic-configs",
                       on_error=lambda p: self.pane.show_configs_unavailable(topic, p))

    def _after_change(self, text: str, select: str | None = None) -> None:
        self.status.inform(text)
        if select is not None:
            self.pane.pending_select = select
        self.refresh()

    def create(self, name: str, partitions: int, rf: int, configs: dict[str, str]) -> None:
        admin = self.admin
        if admin is None:
            return

        async def work() -> list[TopicSummary]:
            await admin.create_topic(name, partitions, rf, configs)
            # the brokers learn of a new topic from the controller a moment after it answers (Kafka's way too):
            # list until the one asked is there, for at most the request timeout
            loop = asyncio.get_running_loop()
            deadline = loop.time() + admin.timeout
            while True:  # bounded by the deadline
                topics = await admin.list_topics()
                if any(t.name == name for t in topics) or loop.time() > deadline:
                    return topics
                await asyncio.sleep(0.2)

        def done(topics: list[TopicSummary]) -> None:
            self.status.inform(f"Created topic {name}.")
            self.pane.pending_select = name
            self._show_topics(topics)
        self.tasks.run(f"creating {name}", work(), done, on_error=self.pane.show_problem)

    def delete(self, name: str) -> None:
        admin = self.admin
        if admin is not None:
            def done(_r: object) -> None:
                self.pane.clear()
                self._after_change(f"Deleted topic {name}.")
            self.tasks.run(f"deleting {name}", admin.delete_topic(name), done, on_error=self.pane.show_problem)

    def save_configs(self, topic: str, changes: dict[str, str | None]) -> None:
        admin = self.admin
        if admin is not None:
            def done(_r: object) -> None:
                self.status.inform(f"Saved {len(changes)} config change(s) of {topic}.")
                self.load_topic(topic)
            self.tasks.run(f"changing the configs of {topic}", admin.alter_configs("topic", topic, changes), done,
                           on_error=self.pane.show_problem)

    def add_partitions(self, topic: str, total: int) -> None:
        admin = self.admin
        if admin is not None:
            def done(_r: object) -> None:
                self._after_change(f"{topic} now has {total} partitions.", select=topic)
                self.load_topic(topic)
            self.tasks.run(f"adding partitions to {topic}", admin.add_partitions(topic, total), done,
                           on_error=self.pane.show_problem)

    def delete_records(self, topic: str, before: dict[int, int]) -> None:
        admin = self.admin
        if admin is not None:
            what = "Purged" if all(o < 0 for o in before.values()) else "Deleted records of"

            def done(_r: object) -> None:
                self.status.inform(f"{what} {topic}.")
                self.load_topic(topic)
            self.tasks.run(f"deleting records of {topic}", admin.delete_records(topic, before), done,
                           on_error=self.pane.show_problem)
