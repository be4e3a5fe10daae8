"""Screenshots of every pane, for looking at (not committed): the real app on the Local broker with sample data,
plus Apache Kafka 3.9 with its ZooKeeper for the ZooKeeper pane.

    .venv/bin/python -m tests.workbench.screenshots [OUT_DIR]                    (offscreen)
    xvfb-run -a .venv/bin/python -m tests.workbench.screenshots [OUT_DIR]     (real X server)

Writes local.png, topics.png, topic-configs.png, brokers.png, brokers-api.png, zookeeper-broker.png,
zookeeper-state.png, zookeeper-none.png, topics-dark.png, unreachable.png and profile-dialog.png.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.workbench.app_harness import AppHarness, until


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wb-shots-"))
    harness = AppHarness(home, size=(1360, 820))

    from workbench.services.connection import ConnectionSpec
    from workbench.services.threads import EXECUTOR
    from workbench.ui.profile_dialog import ProfileDialog

    app, store, window, loop = harness.app, harness.store, harness.window, harness.loop
    kafka: Any = None

    def shot(name: str, widget: Any = None) -> None:
        app.processEvents()
        harness.shot(out, name, widget)

    async def settle(seconds: float = 0.3) -> None:
        await asyncio.sleep(seconds)
        app.processEvents()

    async def run() -> None:
        nonlocal kafka
        window.start()  # first run: Local, broker started
        await until(lambda: window.local.state == "running", 60, "the Local broker")
        await until(lambda: window.session is not None and window.session.spec.local, 10, "the Local session")
        window.local_ctl.load_sample_data()
        await until(lambda: "sample" in window.local_pane.sample_note.text(), 60, "sample data")
        await settle(1.0)
        window.show_pane("local")
        await settle()
        shot("local")

        window.show_pane("topics")
        await until(lambda: window.topics_pane.model.rowCount() >= 3, 30, "topics")
        window.topics_pane.select("orders")
        await until(lambda: bool(window.topics_pane.partition_model.rows), 30, "partitions")
        await settle(0.5)
        shot("topics")
        window.topics_pane.details.setCurrentIndex(1)
        await until(lambda: bool(window.topics_pane.config_model.rows), 30, "configs")
        await settle()
        shot("topic-configs")
        window.topics_pane.details.setCurrentIndex(0)

        window.show_pane("brokers")
        await until(lambda: window.brokers_pane.verdict is not None, 30, "health")
        await until(lambda: bool(window.brokers_pane.logdir_model.rows), 30, "log dirs")
        await settle()
        shot("brokers")
        window.brokers_pane.tabs.setCurrentIndex(1)
        await until(lambda: bool(window.brokers_pane.api_model.rows), 30, "API versions")
        await settle()
        shot("brokers-api")

        window.show_pane("zookeeper")
        await settle()
        shot("zookeeper-none")

        try:
            from tests.components.kafka_server import start_kafka_zk
            from tests.components.zk_server import start_zookeeper

            work = home / "kafka"
            (work / "zk").mkdir(parents=True)
            (work / "kafka").mkdir()
            zk = await loop.run_in_executor(EXECUTOR, start_zookeeper, work / "zk")
            kafka = await loop.run_in_executor(EXECUTOR, start_kafka_zk, work / "kafka", zk)
            kafka.zk_server = zk
        except BaseException as exc:  # pytest.skip raises an Exception subclass: say what is missing
            print(f"no ZooKeeper screenshots: {exc}", flush=True)
        if kafka is not None:
            store.save_profile(ConnectionSpec(name="kafka-3.9 (ZooKeeper mode)", bootstrap=kafka.bootstrap,
                                              zookeeper=kafka.zookeeper))
            window._fill_switcher()
            window._switch_to("kafka-3.9 (ZooKeeper mode)")
            from confluent_kafka.admin import AdminClient, NewTopic

            admin = AdminClient({"bootstrap.servers": kafka.bootstrap})
            for fut in admin.create_topics([NewTopic("payments", 3, 1), NewTopic("audit", 1, 1)]).values():
                await asyncio.wrap_future(fut)
            window.show_pane("zookeeper")
            pane = window.zk_pane
            await until(lambda: "brokers" in pane.model.children_of("/"), 30, "the ZooKeeper root")
            for path in ("/brokers", "/brokers/ids", "/brokers/topics"):
                pane.expand_path(path)
                await until(lambda p=path: p in pane.model.loaded_paths(), 30, path)
            pane.select_path("/brokers/ids/1")
            await until(lambda: pane.node is not None and pane.node.path == "/brokers/ids/1", 30, "broker node")
            await settle()
            shot("zookeeper-broker")
            for path in ("/brokers/topics/payments", "/brokers/topics/payments/partitions",
                         "/brokers/topics/payments/partitions/0"):
                await until(lambda p=path: pane.model.index_of(p).isValid(), 30, path)
                pane.expand_path(path)
                await until(lambda p=path: p in pane.model.loaded_paths(), 30, path)
            state = "/brokers/topics/payments/partitions/0/state"
            pane.select_path(state)
            await until(lambda: pane.node is not None and pane.node.path == state, 30, "partition state")
            await settle()
            shot("zookeeper-state")
            pane.details.setCurrentIndex(4)
            pane.server_state_requested.emit("srvr")
            await until(lambda: "Mode:" in pane.server_text.toPlainText(), 30, "srvr")
            await settle()
            shot("zookeeper-server")
            pane.details.setCurrentIndex(0)

        window._switch_to("Local")
        window.set_theme("dark")
        window.show_pane("topics")
        await until(lambda: window.topics_pane.model.rowCount() >= 3, 30, "topics again")
        window.topics_pane.select("payments")
        await until(lambda: bool(window.topics_pane.partition_model.rows), 30, "partitions")
        await settle(0.5)
        shot("topics-dark")
        window.set_theme("light")

        window.open_spec(ConnectionSpec(name="staging", bootstrap="127.0.0.1:1"))
        await until(lambda: window.topics_pane.banner.text != "", 30, "the refused sentence")
        await settle()
        shot("unreachable")

        dialog = ProfileDialog(ConnectionSpec(name="prod", bootstrap="kafka-1.example.com:9093",
                                              sasl_mechanism="SCRAM-SHA-512", sasl_username="alice", tls=True,
                                              tls_ca_path="/etc/kafka/ca.pem", zookeeper="", read_only=True),
                               store.secrets.fallback_message, window)
        dialog.show()
        dialog.show_result("Cannot resolve the host name kafka-1.example.com: Name or service not known.", False)
        await settle()
        shot("profile-dialog", dialog)
        dialog.close()

    try:
        with harness:
            harness.run(run())
    finally:
        if kafka is not None:
            kafka.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
