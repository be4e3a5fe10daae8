"""The brokers pane against every cluster: brokers, controller, cluster id, health verdict, API versions, broker
configs and log dirs, or a clear sentence where the cluster lacks the API; qtmodeltester on its models."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.workbench.conftest import spec_for
from workbench.main_window import MainWindow

pytestmark = pytest.mark.slow
WAIT = 30_000


def test_brokers_pane(qtbot: QtBot, qtmodeltester: Any, window: MainWindow, any_cluster: Any) -> None:
    pane = window.brokers_pane
    seen: set[str] = set()
    pane.shown.connect(seen.add)
    window.show_pane("brokers")
    window.open_spec(spec_for(any_cluster))
    wanted = {"overview", "health", "log-dirs", "api-versions", "broker-configs"}
    qtbot.waitUntil(lambda: wanted <= seen or "problem" in seen, timeout=WAIT)
    assert "problem" not in seen, pane.banner.text

    host, port = any_cluster.bootstrap.rsplit(":", 1)
    assert [(b.host, b.port) for b in pane.brokers] == [(host, int(port))]
    assert pane.broker_model.rows[0][1:3] == (host, port)
    assert "Cluster id " in pane.summary.text() and "(none)" not in pane.summary.text()
    assert pane.controller_id >= 0

    assert pane.verdict is not None
    assert pane.verdict.level == "healthy", pane.verdict.reason
    assert pane.health.text.startswith("Healthy: All ")

    api = dict(zip(pane.api_model.column(1), pane.api_model.column(3), strict=True))
    assert "Metadata" in api and "ApiVersions" in api and int(api["Metadata"]) >= 9

    for section, model in (("broker-configs", pane.config_model), ("log-dirs", pane.logdir_model)):
        note = {"broker-configs": pane.config_section, "log-dirs": pane.logdir_section}[section].note.text()
        if model.rows:
            assert not note.startswith("Not available"), note
        else:
            # a cluster without the API: one clear sentence in that tab (Tansu has no DescribeLogDirs)
            assert note.startswith("Not available: ") or "with no configs" in note, note
            assert any_cluster.name == "tansu", note
    if pane.config_model.rows:
        assert any(r[0] in ("log.dirs", "num.partitions", "log.retention.hours", "log.retention.ms")
                   for r in pane.config_model.rows)
    if pane.logdir_model.rows:
        assert all(r[0] == str(pane.brokers[0].id) and r[1] for r in pane.logdir_model.rows)

    for model in (pane.broker_model, pane.api_model, pane.config_model, pane.logdir_model, pane.risk_model):
        qtmodeltester.check(model)
