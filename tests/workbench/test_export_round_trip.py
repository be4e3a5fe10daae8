"""Export, produce from the file, export again: 10,000 records with binary keys and values, empty and null keys,
tombstones and headers (repeated names, null values) come back identical apart from topic and offsets, with their
partitions and CreateTime timestamps kept. Also: a CSV export, a range export, and an export that is cancelled."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.workbench.conftest import spec_for
from tests.workbench.messages_support import BASE_TS, WAIT, Form, fill, make_topic, produce_records, read, rows
from workbench.main_window import MainWindow
from workbench.panes.messages import MessagesPane
from workbench.services.export import ExportChoice
from workbench.services.record import Record

pytestmark = pytest.mark.slow
COUNT = 10_000
PARTITIONS = 4


def awkward_records(topic: str, count: int = COUNT) -> list[Record]:
    rnd = random.Random(20261201)
    out = []
    for i in range(count):
        if i % 7 == 0:
            key: bytes | None = None
        elif i % 11 == 0:
            key = b""
        else:
            key = rnd.randbytes(rnd.randint(1, 24))
        if i % 13 == 0:
            value: bytes | None = None  # a tombstone
        elif i % 17 == 0:
            value = b""
        elif i % 2:
            value = rnd.randbytes(rnd.randint(1, 300))
        else:
            value = json.dumps({"n": i, "text": "é ✓"}).encode()
        headers: list[tuple[str, bytes | None]] = []
        if i % 3 == 0:
            headers = [("trace", rnd.randbytes(8)), ("trace", None), ("note", "ünïcode".encode())]
        elif i % 5 == 0:
            headers = [("empty", b""), ("null", None)]
        out.append(Record(topic, i % PARTITIONS, 0, BASE_TS + i, 1, key, value, tuple(headers)))
    return out


def export(qtbot: QtBot, pane: MessagesPane, choice: ExportChoice) -> None:
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w in ("exported", "problem")) as sig:
        pane.request_export(choice)
    assert sig.args == ["exported"], pane.banner.text
    assert Path(choice.path).exists() and not Path(choice.path + ".partial").exists()


def without_place(path: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        del line["topic"], line["offset"]
    return lines


def test_export_produce_export_is_identical(qtbot: QtBot, window: MainWindow, shared_engine: Any,
                                            tmp_path: Path) -> None:
    cluster = shared_engine
    source, target = f"rt-src-{uuid.uuid4().hex[:6]}", f"rt-dst-{uuid.uuid4().hex[:6]}"
    make_topic(cluster.bootstrap, source, PARTITIONS)
    make_topic(cluster.bootstrap, target, PARTITIONS)
    produce_records(cluster.bootstrap, awkward_records(source))
    with qtbot.waitSignal(window.topics_pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        window.open_spec(spec_for(cluster))
    pane = window.messages_pane
    assert "range is done" in read(qtbot, pane, Form(source, limit=None))
    assert len(rows(pane)) == COUNT
    first = tmp_path / "first.jsonl"
    export(qtbot, pane, ExportChoice("results", str(first)))

    produce = window.produce_pane
    produce.form.set_topic(target)
    with qtbot.waitSignal(produce.shown, timeout=WAIT, check_params_cb=lambda w: w in ("finished", "problem")) as sig:
        produce.request_produce_file(str(first))
    assert sig.args == ["finished"], produce.banner.text
    assert produce.model.rowCount() == COUNT

    assert "range is done" in read(qtbot, pane, Form(target, limit=None))
    second = tmp_path / "second.jsonl"
    export(qtbot, pane, ExportChoice("results", str(second)))
    a, b = without_place(first), without_place(second)
    assert len(a) == COUNT and a == b
    assert {line["timestamp_type"] for line in a} == {"CreateTime"}
    kinds = {(line["key"] is None, line.get("key") == "", line["value"] is None) for line in a}
    assert {(True, False, False), (False, True, False), (False, False, True)} <= kinds
    assert any(line.get("value_encoding") == "base64" for line in a)
    assert any([h["name"] for h in line["headers"]] == ["trace", "trace", "note"] and
               line["headers"][1]["value"] is None for line in a)

    # always-base64 and CSV exports of the same results; a range export reads the topic itself
    b64 = tmp_path / "b64.jsonl"
    export(qtbot, pane, ExportChoice("results", str(b64), always_base64=True))
    assert {json.loads(x).get("key_encoding") for x in b64.read_text().splitlines()} == {"base64", None}
    csv_path = tmp_path / "all.csv"
    export(qtbot, pane, ExportChoice("results", str(csv_path), fmt="csv"))
    assert len(csv_path.read_text(encoding="utf-8").splitlines()) >= COUNT + 1
    ranged = tmp_path / "range.jsonl"
    fill(pane, Form(target, partitions="2", limit=5))  # the result limit does not cut a range export
    export(qtbot, pane, ExportChoice("range", str(ranged)))
    assert len(ranged.read_text().splitlines()) == COUNT // PARTITIONS
    assert "Exported 2,500 messages" in window.status_label.text()


def test_cancelled_range_export_leaves_no_file(qtbot: QtBot, window: MainWindow, shared_engine: Any,
                                               tmp_path: Path) -> None:
    topic = f"rt-live-{uuid.uuid4().hex[:6]}"
    make_topic(shared_engine.bootstrap, topic, 1)
    with qtbot.waitSignal(window.topics_pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "topics"):
        window.open_spec(spec_for(shared_engine))
    pane = window.messages_pane
    fill(pane, Form(topic, start="end", stop="live", limit=None))
    path = tmp_path / "never.jsonl"
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "started"):
        pane.request_export(ExportChoice("range", str(path)))
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w == "exported"):
        pane.cancel_button.click()
    assert not path.exists() and not Path(str(path) + ".partial").exists()
    assert window.status_label.text().startswith("Nothing was exported (cancelled)")
