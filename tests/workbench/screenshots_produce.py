"""Screenshots of the produce pane, for looking at (not committed): the real window on an engine.

    .venv/bin/python -m tests.workbench.screenshots_produce [OUT_DIR]
    xvfb-run -a .venv/bin/python -m tests.workbench.screenshots_produce [OUT_DIR]     (real X server)

Writes produce-results.png (a run with delivery results), produce-running.png (a paced run in progress),
produce-file-failures.png (a JSON Lines file where some lines failed, failures only), produce-json-error.png,
produce-read-only.png and produce-dark.png. OUT_DIR defaults to /tmp/shots-produce.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.workbench.app_harness import AppHarness, until


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots-produce").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wb-shots-"))

    from tests.components.engine_proc import EngineProcess
    from tests.workbench.produce_support import create_topic
    from workbench.services.connection import ConnectionSpec
    from workbench.services.record import Record
    from workbench.services.record_file import RecordWriter

    (home / "engine").mkdir(parents=True)
    engine = EngineProcess(home / "engine" / "data")
    engine.start()
    create_topic(engine.bootstrap, "orders", 6)
    create_topic(engine.bootstrap, "payments", 3, {"max.message.bytes": "3000"})
    create_topic(engine.bootstrap, "audit", 1, {"message.timestamp.type": "LogAppendTime"})

    harness = AppHarness(home, size=(1360, 860))
    store, window = harness.store, harness.window
    pane = window.produce_pane
    form = pane.form

    def shot(name: str, widget: Any = None) -> None:
        harness.shot(out, name, widget)

    async def settle(seconds: float = 0.3) -> None:
        await asyncio.sleep(seconds)

    async def produce(click: Callable[[], None]) -> None:
        done: list[str] = []
        pane.shown.connect(lambda w: done.append(w) if w in ("finished", "problem") else None)
        click()
        await until(lambda: bool(done), 120, "the run")

    async def run() -> None:
        store.save_template("order for customer 42", {"topic": "orders", "key": {"encoding": "text",
                                                                                "text": "customer-42"}})
        store.save_template("heartbeat", {"topic": "audit"})
        store.save_profile(ConnectionSpec(name="staging", bootstrap=engine.bootstrap))
        store.save_profile(ConnectionSpec(name="prod (read-only)", bootstrap=engine.bootstrap, read_only=True))
        window._fill_switcher()
        window._switch_to("staging")
        window.show_pane("produce")
        pane.show_templates(store.template_names(), "order for customer 42")
        await until(lambda: "orders" in form.partition_counts, 30, "topics")
        form.set_topic("orders")
        form.key.setText("customer-42")
        form.value.set_mode("json")
        form.value.text.setPlainText(json.dumps({"order": 1007, "customer": 42, "items": [
            {"sku": "A-12", "qty": 2}, {"sku": "B-7", "qty": 1}], "total": 31.5}, indent=2))
        form.headers.add("source", "workbench")
        form.headers.add("trace-id", "4bf92f3577b34da6a3ce929d0e0e4736")
        form.headers.add("trace-id", "", "null")
        form.compression.setCurrentIndex(form.compression.findData("zstd"))
        form.repeat.setValue(2500)
        form.rate.setValue(1000)
        await settle()

        await produce(pane.produce_button.click)
        await settle(0.5)
        shot("produce-results")

        form.repeat.setValue(20_000)
        form.rate.setValue(2000)
        pane.produce_button.click()
        await until(lambda: pane.model.rowCount() > 3000, 30, "a few thousand results")
        await settle(0.1)
        shot("produce-running")
        pane.cancel_button.click()
        await until(lambda: not pane.running, 30, "the cancel")
        await settle()
        shot("produce-cancelled")

        lines = home / "payments.jsonl"
        noise = random.Random(7)
        with open(lines, "w", encoding="utf-8") as f:  # every 9th value is over the topic's max.message.bytes
            RecordWriter(f).write(Record("payments", i % 3, i // 3, 1_700_000_000_000 + i * 1000, 1,
                                         f"payment-{i}".encode(), noise.randbytes(5000 if i % 9 == 4 else 200),
                                         (("currency", b"EUR"),)) for i in range(60))
        form.set_topic("payments")
        form.compression.setCurrentIndex(form.compression.findData("none"))
        await produce(lambda: pane.request_produce_file(str(lines)))
        await settle()
        shot("produce-file")
        pane.failures_only.setChecked(True)
        pane.results.selectRow(1)
        await settle()
        shot("produce-file-failures")
        pane.failures_only.setChecked(False)

        bad = home / "bad.jsonl"
        bad.write_text('{"value": "one"}\n{"value": "two", "key": 7}\n{"value": "three" "key": "k"}\n')
        await produce(lambda: pane.request_produce_file(str(bad)))
        await settle()
        shot("produce-bad-file")

        form.set_topic("orders")
        form.value.text.setPlainText('{\n  "order": 1007,\n  "items": [1, 2,, 3]\n}')
        pane.request_produce()
        await settle(0.4)
        shot("produce-json-error")

        window.set_theme("dark")
        form.value.text.setPlainText('{"order": 1008}')
        form.set_topic("audit")
        form.repeat.setValue(40)
        form.rate.setValue(0)
        await produce(pane.produce_button.click)
        await settle()
        shot("produce-dark")
        window.set_theme("light")

        window._switch_to("prod (read-only)")
        await settle(1.0)
        shot("produce-read-only")

    try:
        with harness:
            harness.run(run())
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
