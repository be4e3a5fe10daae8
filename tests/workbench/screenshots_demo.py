"""Screenshots of the demo cluster, for looking at (not committed): the real app starts it from the Local pane
(three ZooKeeper nodes, three engine brokers), a topic with replication factor 3 gets messages, the leader of its
partition 0 is killed from the pane, and the panes show the failover; then the broker is started again.

    .venv/bin/python -m tests.workbench.screenshots_demo [OUT_DIR]             (offscreen)
    xvfb-run -a .venv/bin/python -m tests.workbench.screenshots_demo [OUT_DIR]

Writes demo-local.png, demo-local-killed.png, demo-topics-failover.png, demo-brokers-failover.png,
demo-zookeeper-state.png, demo-local-killed-dark.png and demo-topics-recovered.png (default OUT_DIR: /tmp/demo-shots).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.workbench.app_harness import AppHarness, until


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/demo-shots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wb-shots-demo-"))
    harness = AppHarness(home, size=(1360, 820))
    app, window = harness.app, harness.window
    panel = window.local_pane.demo
    topics = window.topics_pane

    def shot(name: str) -> None:
        app.processEvents()
        harness.shot(out, name)

    async def settle(seconds: float = 0.4) -> None:
        await asyncio.sleep(seconds)
        app.processEvents()

    def partition0() -> Any:
        rows = topics.partition_model.rows
        return rows[0] if rows else None

    async def produce(bootstrap: str) -> None:
        from confluent_kafka import Producer

        def work() -> None:
            p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
            for i in range(600):
                p.produce("payments", key=f"customer-{i % 40}", value=f'{{"amount": {i * 7 % 500}, "n": {i}}}')
            if p.flush(30) != 0:
                raise RuntimeError("messages not delivered within 30 s")
        await asyncio.get_running_loop().run_in_executor(None, work)

    async def run() -> None:
        window.show_pane("local")
        window.local_pane.tabs.setCurrentWidget(panel)
        panel.start_requested.emit()
        await until(lambda: panel.cluster_state == "running", 120, "the demo cluster")
        await until(lambda: window.session is not None and window.session.spec.name == "Demo cluster", 30,
                    "its connection")
        window.show_pane("topics")
        topics.create_requested.emit("payments", 3, 3, {"min.insync.replicas": "2"})
        await until(lambda: topics.current == "payments" and len(topics.partition_model.rows) == 3
                    and all(len(p.isr) == 3 for p in topics.partition_model.rows), 60, "payments in sync")
        await produce(window.demo.bootstrap)
        leader = partition0().leader
        window.show_pane("local")
        window.local_pane.tabs.setCurrentWidget(panel)
        panel.select(f"broker-{leader}")
        await until(lambda: "started" in panel.log.toPlainText(), 10, "the broker's log")
        await settle()
        shot("demo-local")

        panel.member_requested.emit("kill", f"broker-{leader}")
        await until(lambda: window.demo.member(f"broker-{leader}").state == "killed", 10, "the kill")
        window.show_pane("topics")
        await until(lambda: (p := partition0()) is not None and p.leader not in (leader, -1) and leader not in p.isr,
                    60, "the failover")
        await until(lambda: all(leader not in p.isr for p in topics.partition_model.rows), 30, "every ISR to shrink")
        await settle(0.8)
        shot("demo-topics-failover")
        window.show_pane("brokers")
        await until(lambda: len(window.brokers_pane.brokers) == 2 and window.brokers_pane.verdict is not None, 30,
                    "two brokers")
        await settle(2.5)  # one more beat: the health verdict of the same moment
        shot("demo-brokers-failover")

        window.show_pane("zookeeper")
        pane = window.zk_pane
        await until(lambda: "brokers" in pane.model.children_of("/"), 30, "the ZooKeeper root")
        for path in ("/brokers", "/brokers/topics", "/brokers/topics/payments", "/brokers/topics/payments/partitions",
                     "/brokers/topics/payments/partitions/0"):
            await until(lambda p=path: pane.model.index_of(p).isValid(), 30, path)
            pane.expand_path(path)
            await until(lambda p=path: p in pane.model.loaded_paths(), 30, path)
        state = "/brokers/topics/payments/partitions/0/state"
        pane.select_path(state)
        await until(lambda: pane.node is not None and pane.node.path == state, 30, "partition state")
        await settle()
        shot("demo-zookeeper-state")

        window.show_pane("local")
        window.local_pane.tabs.setCurrentWidget(panel)
        await settle()
        shot("demo-local-killed")
        window.set_theme("dark")
        await settle()
        shot("demo-local-killed-dark")
        window.set_theme("light")
        panel.member_requested.emit("start", f"broker-{leader}")
        await until(lambda: window.demo.member(f"broker-{leader}").state == "running", 60, "the restart")
        window.show_pane("topics")
        await until(lambda: all(len(p.isr) == 3 for p in topics.partition_model.rows), 60, "full ISRs")
        await settle(0.8)
        shot("demo-topics-recovered")
        await window.demo.stop()

    try:
        with harness:
            harness.run(run())
    finally:
        window.demo.stop_now()
    return 0


if __name__ == "__main__":
    sys.exit(main())
