"""A known data set and helpers for driving the messages pane: fill its form, read, collect the rows."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from confluent_kafka import Producer
from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from tests.workbench.produce_support import create_topic
from workbench.panes.messages import MessagesPane
from workbench.services.record import Record

WAIT = 60_000
PARTITIONS = 3
PER_PARTITION = 20
BASE_TS = (int(time.time()) - 3600) * 1000  # an hour ago: every record's CreateTime is set from it


def dataset(topic: str) -> list[Record]:
    """20 keyed JSON records per partition (ts = BASE + i s + p ms) and, in partition 0, five odd ones."""
    out = []
    for p in range(PARTITIONS):
        for i in range(PER_PARTITION):
            value = json.dumps({"i": i, "p": p, "kind": "odd" if i % 2 else "even"}).encode()
            headers = (("src", b"web" if i % 2 else b"app"), ("seq", str(i).encode()))
            out.append(Record(topic, p, i, BASE_TS + i * 1000 + p, 1, f"user-{i % 5}".encode(), value, headers))
    extras: list[tuple[bytes | None, bytes | None, tuple[tuple[str, bytes | None], ...]]] = [
        (b"\x00\xffbin", b"\xff\xfe not utf8", ()),
        (None, b'{"i": 21, "nested": {"a": [1, 2]}}', ()),
        (b"user-0", None, (("deleted", b"yes"),)),
        (b"", (123456789).to_bytes(8, "big"), ()),
        (b"user-1", b"plain text", (("dup", b"1"), ("dup", None), ("dup", b"3"))),
    ]
    for j, (key, value, headers) in enumerate(extras):
        out.append(Record(topic, 0, PER_PARTITION + j, BASE_TS + 30_000 + j, 1, key, value, headers))
    return out


def produce_records(bootstrap: str, records: list[Record], topic: str | None = None) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True,
                  "message.max.bytes": 64 * 1024 * 1024})
    for r in records:
        p.produce(topic or r.topic, key=r.key, value=r.value, partition=r.partition, timestamp=r.timestamp,
                  headers=list(r.headers))
    assert p.flush(30) == 0


def make_topic(bootstrap: str, topic: str, partitions: int = PARTITIONS, configs: dict[str, str] | None = None,
               ) -> None:
    create_topic(bootstrap, topic, partitions, configs)


@dataclasses.dataclass
class Form:
    topic: str
    partitions: str = ""
    start: str = "beginning"
    start_value: int | None = None
    stop: str = "end"
    stop_value: int | None = None
    key: str = ""
    key_mode: str = "exact"
    partitioner: str = "murmur2"
    scan_all: bool = False
    value: str = ""
    value_mode: str = "contains"
    header_name: str = ""
    header_value: str = ""
    ts_from: int | None = None
    ts_to: int | None = None
    limit: int | None = 10_000
    budget_messages: int | None = None
    budget_mib: int | None = None


def choose(box: QComboBox, data: str) -> None:
    at = box.findData(data)
    assert at >= 0, f"{data!r} is not offered in {box.objectName()}"
    box.setCurrentIndex(at)


def fill(pane: MessagesPane, f: Form) -> None:
    form = pane.form
    form.choose_topic(f.topic)
    form.partitions.setText(f.partitions)
    choose(form.start, f.start)
    choose(form.stop, f.stop)
    if f.start == "timestamp":
        form.start_time.setDateTime(QDateTime.fromMSecsSinceEpoch(f.start_value or 0))
    elif f.start_value is not None:
        form.start_number.setText(str(f.start_value))
    if f.stop == "timestamp":
        form.stop_time.setDateTime(QDateTime.fromMSecsSinceEpoch(f.stop_value or 0))
    elif f.stop_value is not None:
        form.stop_number.setText(str(f.stop_value))
    choose(form.key_mode, f.key_mode)
    form.key.setText(f.key)
    choose(form.partitioner, f.partitioner)
    form.scan_all.setChecked(f.scan_all)
    choose(form.value_mode, f.value_mode)
    form.value.setText(f.value)
    form.header_name.setText(f.header_name)
    form.header_value.setText(f.header_value)
    form.ts_from_on.setChecked(f.ts_from is not None)
    form.ts_to_on.setChecked(f.ts_to is not None)
    if f.ts_from is not None:
        form.ts_from.setDateTime(QDateTime.fromMSecsSinceEpoch(f.ts_from))
    if f.ts_to is not None:
        form.ts_to.setDateTime(QDateTime.fromMSecsSinceEpoch(f.ts_to))
    form.limit.setText("" if f.limit is None else str(f.limit))
    form.budget_messages.setText("" if f.budget_messages is None else str(f.budget_messages))
    form.budget_mib.setText("" if f.budget_mib is None else str(f.budget_mib))


def read(qtbot: QtBot, pane: MessagesPane, f: Form) -> str:
    """Fill the form, press Read, wait for the scan to stop; the stop sentence (or the problem shown)."""
    fill(pane, f)
    seen: list[str] = []
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w in ("finished", "problem")) as sig:
        pane.read_button.click()
    seen.extend(sig.args or [])
    return pane.banner.text if seen == ["problem"] else pane.progress.reason_text


def rows(pane: MessagesPane) -> list[tuple[int, int]]:
    rs = pane.model.results
    if rs is None:
        return []
    return [(rs.index.partition[i], rs.index.offset[i]) for i in range(len(rs))]


def where(records: list[Record], pred: Any) -> list[tuple[int, int]]:
    return sorted((r.partition, r.offset) for r in records if pred(r))


def cell(pane: MessagesPane, row: int, col: int) -> str:
    return str(pane.model.index(row, col).data())
