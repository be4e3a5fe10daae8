"""Screenshots of the messages pane, for looking at (not committed): the real window on an engine.

    .venv/bin/python -m tests.workbench.screenshots_messages [OUT_DIR]

Writes messages-results.png (a keyed search with results and one message open), messages-running.png
(a live scan in progress), messages-problem.png (a bad regex), messages-large.png (a 20 MB message open)
and messages-dark.png. OUT_DIR defaults to /tmp/shots-messages.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.workbench.app_harness import AppHarness, until


def fill(bootstrap: str) -> None:
    from confluent_kafka import Producer

    from tests.workbench.produce_support import create_topic

    create_topic(bootstrap, "orders", 6)
    create_topic(bootstrap, "blobs", 1, {"max.message.bytes": str(32 * 1024 * 1024)})
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(3000):
        customer = f"customer-{i % 40}"
        order = {"order": 1000 + i, "customer": customer, "items": [{"sku": f"A-{i % 13}", "qty": 1 + i % 3}],
                 "total": round(9.99 * (1 + i % 7), 2), "status": ["new", "paid", "shipped"][i % 3]}
        p.produce("orders", key=customer.encode(), value=json.dumps(order).encode(),
                  headers=[("source", b"web" if i % 2 else b"mobile"), ("trace-id", f"{i:032x}".encode())])
    p.produce("orders", key=b"\x00\xffbinary-key", value=b"\x89PNG\r\n\x1a\n\x00\x00 not text",
              headers=[("empty", None)])
    p.produce("orders", key=b"customer-7", value=None)  # a tombstone
    big = json.dumps({"rows": [{"n": i, "text": "x" * 180} for i in range(100_000)]}).encode()
    big_producer = Producer({"bootstrap.servers": bootstrap, "message.max.bytes": 64 * 1024 * 1024})
    big_producer.produce("blobs", key=b"big", value=big)
    assert p.flush(30) == 0 and big_producer.flush(30) == 0


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots-messages").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wb-shots-"))

    from tests.components.engine_proc import EngineProcess
    from workbench.services.connection import ConnectionSpec

    (home / "engine").mkdir(parents=True)
    engine = EngineProcess(home / "engine" / "data", {"message.max.bytes": str(64 * 1024 * 1024)})
    engine.start()
    fill(engine.bootstrap)

    harness = AppHarness(home, size=(1400, 900))
    window = harness.window
    pane = window.messages_pane
    form = pane.form
    shown: list[str] = []
    pane.shown.connect(shown.append)

    def shot(name: str, widget: Any = None) -> None:
        harness.shot(out, name, widget)

    async def scan_and_wait() -> None:
        shown.clear()
        pane.request_scan()
        await until(lambda: "finished" in shown or "problem" in shown, 60, "the scan")

    async def run() -> None:
        window.open_spec(ConnectionSpec("engine", engine.bootstrap))
        await until(lambda: form.partition_counts, 30, "the topic list")
        window.show_pane("messages")
        form.choose_topic("orders")
        form.key.setText("customer-7")
        form.partitioner.setCurrentIndex(form.partitioner.findData("consistent_random"))
        await scan_and_wait()
        pane.table.selectRow(2)
        await until(lambda: "detail-value" in shown, 30, "the detail")
        await asyncio.sleep(0.3)
        shot("messages-results")

        form.key.setText("(")
        form.key_mode.setCurrentIndex(form.key_mode.findData("regex"))
        await scan_and_wait()
        await asyncio.sleep(0.2)
        shot("messages-problem")

        form.key.setText("")
        form.stop.setCurrentIndex(form.stop.findData("live"))
        form.limit.setText("")
        shown.clear()
        pane.request_scan()
        await until(lambda: "rows" in shown, 30, "live rows")
        await asyncio.sleep(0.5)
        shot("messages-running")
        pane.cancel_requested.emit()
        await until(lambda: "finished" in shown, 30, "the cancel")

        form.stop.setCurrentIndex(form.stop.findData("end"))
        form.choose_topic("blobs")
        form.limit.setText("10")
        await scan_and_wait()
        shown.clear()
        pane.value_decoder.setCurrentIndex(pane.value_decoder.findData("json"))
        pane.table.selectRow(0)
        await until(lambda: "detail-value" in shown, 60, "the large detail")
        await asyncio.sleep(0.5)
        shot("messages-large")

        window.theme_action.setChecked(True)
        await asyncio.sleep(0.3)
        shot("messages-dark")

    try:
        with harness:
            harness.run(run())
    finally:
        engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
