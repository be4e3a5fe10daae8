"""Screenshots of Schema Registry support, for looking at (not committed): the real window on an engine and Apicurio.

    .venv/bin/python -m tests.workbench.screenshots_schemas [OUT_DIR]

Writes schemas-messages.png (an Avro topic, one message open in the detail view), schemas-produce.png (the produce
pane with a value schema) and schemas-diff.png (the schemas pane comparing two versions). OUT_DIR defaults to
/tmp/shots-schemas.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from tests.workbench.app_harness import AppHarness, until


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/shots-schemas").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wb-shots-"))

    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

    from tests.components.engine_proc import EngineProcess
    from tests.components.registry_server import start_registry
    from tests.workbench.messages_support import make_topic
    from tests.workbench.schemas_support import ORDER_V1, ORDER_V2, produce_with_serialisers
    from workbench.services.connection import ConnectionSpec

    (home / "engine").mkdir(parents=True)
    engine = EngineProcess(home / "engine" / "data")
    engine.start()
    registry = start_registry(home)
    make_topic(engine.bootstrap, "orders-avro", 1)
    produce_with_serialisers(engine.bootstrap, registry.url, "orders-avro")
    sr = SchemaRegistryClient({"url": registry.url})
    sr.register_schema("payments-value", Schema(json.dumps({**ORDER_V1, "fields": ORDER_V1["fields"][:1]}), "AVRO"))
    sr.register_schema("payments-value", Schema(json.dumps({**ORDER_V2, "fields": [
        ORDER_V2["fields"][0], ORDER_V2["fields"][-1]]}), "AVRO"))
    sr.close()

    harness = AppHarness(home, size=(1400, 900))
    window = harness.window
    pane = window.messages_pane
    shown: list[str] = []
    pane.shown.connect(shown.append)
    schemas_shown: list[str] = []
    window.schemas_pane.shown.connect(schemas_shown.append)

    def shot(name: str) -> None:
        harness.shot(out, name)

    async def run() -> None:
        window.open_spec(ConnectionSpec("engine + registry", engine.bootstrap, registry_url=registry.url))
        await until(lambda: pane.form.partition_counts, 30, "the topic list")
        window.show_pane("messages")
        pane.form.choose_topic("orders-avro")
        pane.request_scan()
        await until(lambda: "finished" in shown, 60, "the scan")
        await asyncio.sleep(1.0)  # schemas fetched, cells redrawn
        pane.table.selectRow(2)
        await until(lambda: "detail-value" in shown, 30, "the detail")
        await asyncio.sleep(0.5)
        shot("schemas-messages")

        window.show_pane("produce")
        form = window.produce_pane.form
        await until(lambda: "orders-avro-order" in form.schema_versions, 30, "the subjects")
        form.set_topic("orders-avro")
        form.choose_schema("orders-avro-order", "2")
        form.value.text.setPlainText(json.dumps({"id": "o-77", "total": {"amount": "19.90", "currency": "EUR"},
                                                 "at": "2024-05-06T07:08:09Z", "day": "2024-05-06",
                                                 "ref": "12345678-1234-5678-1234-567812345678", "note": None,
                                                 "tags": ["gift"]}, indent=2))
        await asyncio.sleep(0.5)
        shot("schemas-produce")

        window.show_pane("schemas")
        spane = window.schemas_pane
        await until(lambda: spane.model.row_of("payments-value") >= 0, 30, "the subjects")
        spane.select_subject("payments-value")
        await until(lambda: "version" in schemas_shown, 30, "the version")
        schemas_shown.clear()
        spane.diff_button.click()
        await until(lambda: "diff" in schemas_shown, 30, "the diff")
        await asyncio.sleep(0.3)
        shot("schemas-diff")

    try:
        with harness:
            harness.run(run())
    finally:
        engine.stop()
        registry.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
