"""The schemas pane against a real registry (Apicurio's Confluent-compatible API): it lists, diffs, checks
compatibility (an incompatible change is refused with the registry's reason), registers, sets compatibility and
deletes (soft and hard, confirmed, off in read-only profiles); qtmodeltester on its models."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.workbench.conftest import spec_for
from workbench.main_window import MainWindow
from workbench.panes.schemas import SchemasPane
from workbench.services.registry import SubjectInfo
from workbench.ui.schemas_models import DiffModel, SubjectsModel

pytestmark = pytest.mark.slow
WAIT = 30_000
V1 = {"type": "record", "name": "Payment", "fields": [{"name": "id", "type": "string"}]}
V2 = {**V1, "fields": [*V1["fields"], {"name": "amount", "type": "double", "default": 0.0}]}
BAD = {**V1, "fields": [{"name": "id", "type": "long"}]}  # id changes type: not backward compatible


def wait(qtbot: QtBot, pane: SchemasPane, *what: str, action: Any) -> str:
    with qtbot.waitSignal(pane.shown, timeout=WAIT, check_params_cb=lambda w: w in (*what, "problem")) as sig:
        action()
    return str(sig.args[0])


def open_pane(qtbot: QtBot, window: MainWindow, cluster: Any, registry: Any, **kw: Any) -> SchemasPane:
    pane = window.schemas_pane
    window.show_pane("schemas")
    wait(qtbot, pane, "subjects", action=lambda: window.open_spec(spec_for(cluster, registry_url=registry.url,
                                                                          **kw)))
    return pane


def register(qtbot: QtBot, pane: SchemasPane, subject: str, schema: dict[str, Any]) -> str:
    pane.new_subject.setText(subject)
    pane.new_type.setCurrentText("AVRO")
    pane.new_text.setPlainText(json.dumps(schema))
    wait(qtbot, pane, "registered", action=pane.register_button.click)
    qtbot.waitUntil(lambda: pane.model.row_of(subject) >= 0, timeout=WAIT)
    return pane.new_result.text()


def test_list_diff_check_register_and_delete(qtbot: QtBot, window: MainWindow, shared_engine: Any,
                                            registry: Any) -> None:
    pane = open_pane(qtbot, window, shared_engine, registry)
    subject = f"payments-{uuid.uuid4().hex[:6]}-value"
    assert register(qtbot, pane, subject, V1).startswith(f"✔ Registered under {subject} as schema id ")
    wait(qtbot, pane, "note", action=lambda: pane.compatibility_requested.emit(subject, "BACKWARD"))
    assert register(qtbot, pane, subject, V2).startswith("✔ Registered")
    qtbot.waitUntil(lambda: pane.model.subject(pane.model.row_of(subject)).versions == (1, 2), timeout=WAIT)
    info = pane.model.subject(pane.model.row_of(subject))
    assert (info.schema_type, info.compatibility) == ("AVRO", "BACKWARD")

    # the latest version's text, pretty-printed
    wait(qtbot, pane, "version", action=lambda: pane.select_subject(subject))
    assert json.loads(pane.text.toPlainText()) == V2 and "\n  " in pane.text.toPlainText()
    assert pane.version_info.text().startswith("AVRO · schema id ")

    # versions 1 and 2 side by side
    assert wait(qtbot, pane, "diff", action=pane.diff_button.click) == "diff"
    inserted = [(r[2], r[3]) for r in pane.diff.rows if r[4] == "insert"]
    assert inserted and any('"amount"' in text for _n, text in inserted)
    assert pane.diff_summary.text().endswith("differ.")

    # an incompatible change is refused with the registry's reason, by the check and by registering
    pane.new_text.setPlainText(json.dumps(BAD))
    wait(qtbot, pane, "check", action=pane.check_button.click)
    assert pane.new_result.text().startswith("✘ Incompatible: ")
    assert wait(qtbot, pane, "registered", action=pane.register_button.click) == "problem"
    assert "refused it as incompatible" in pane.banner.text
    pane.new_text.setPlainText(json.dumps({**V2, "fields": [*V2["fields"], {"name": "memo", "type": "string",
                                                                             "default": ""}]}))
    wait(qtbot, pane, "check", action=pane.check_button.click)
    assert pane.new_result.text() == "✔ Compatible: the registry would accept it."

    # delete version 1 softly, then the subject permanently; each asks first
    assert pane.subject_name == subject
    pane.version.setCurrentIndex(pane.version.findData(1))
    pane.ask_delete(whole=False)
    assert pane.confirm is not None and "softly" in pane.confirm.text()
    wait(qtbot, pane, "note", action=lambda: pane.confirm.button(QMessageBox.StandardButton.Yes).click())
    qtbot.waitUntil(lambda: pane.model.subject(pane.model.row_of(subject)).versions == (2,), timeout=WAIT)
    pane.permanent.setChecked(True)
    pane.ask_delete(whole=True)
    assert "permanently" in pane.confirm.text()
    pane.confirm.button(QMessageBox.StandardButton.Cancel).click()  # cancelled: nothing happens
    assert pane.model.row_of(subject) >= 0
    pane.ask_delete(whole=True)
    wait(qtbot, pane, "note", action=lambda: pane.confirm.button(QMessageBox.StandardButton.Yes).click())
    qtbot.waitUntil(lambda: pane.model.row_of(subject) < 0, timeout=WAIT)

    # the global level
    wait(qtbot, pane, "note", action=lambda: pane.compatibility_requested.emit("", "FULL"))
    qtbot.waitUntil(lambda: pane.model.global_level == "FULL", timeout=WAIT)
    wait(qtbot, pane, "note", action=lambda: pane.compatibility_requested.emit("", "NONE"))


def test_read_only_profile_and_no_registry(qtbot: QtBot, window: MainWindow, shared_engine: Any,
                                         registry: Any) -> None:
    pane = open_pane(qtbot, window, shared_engine, registry, read_only=True)
    assert not pane.register_button.isEnabled() and not pane.global_button.isEnabled()
    assert not pane.delete_subject_button.isEnabled() and pane.check_button.isEnabled()
    assert "read-only" in pane.banner.text
    window.open_spec(spec_for(shared_engine))
    assert not pane.available and "no Schema Registry" in pane.banner.text


def test_models_pass_qtmodeltester(qtmodeltester: Any) -> None:
    subjects = SubjectsModel()
    subjects.set_subjects([SubjectInfo("a-value", (1, 2), "AVRO", ""), SubjectInfo("b-key", (3,), "PROTOBUF",
                                                                                    "FULL")], "BACKWARD")
    qtmodeltester.check(subjects)
    diff = DiffModel()
    diff.set_texts("a\nb\nc\n", "a\nB\nc\nd\n")
    qtmodeltester.check(diff)
    assert [r[4] for r in diff.rows] == ["equal", "replace", "equal", "insert"]
