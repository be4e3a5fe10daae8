"""The app on secured clusters (the engine and Apache Kafka 3.9, configured alike): it connects with every
mechanism and certificate form, says in one sentence which step failed, lists, creates and deletes ACLs, shows
"not authorised" where the ACLs say no, and starts the Local broker secured."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.components.secured import SecuredCluster
from tests.workbench.secured_support import app_spec
from workbench import settings as S
from workbench.errors import Problem, WorkbenchError
from workbench.main_window import MainWindow
from workbench.services import wire
from workbench.services.admin import AdminService
from workbench.services.connection import ConnectionSpec
from workbench.store import Store

pytestmark = pytest.mark.slow

GOOD = [  # listener, user, mechanism, certificate, its form
    ("SASL_SSL", "admin", "PLAIN", None, ""), ("SASL_SSL", "admin", "SCRAM-SHA-256", None, ""),
    ("SASL_SSL", "admin", "SCRAM-SHA-512", None, ""), ("SASL_PLAINTEXT", "admin", "SCRAM-SHA-512", None, ""),
    ("SSL", None, "", "admin", "pem"), ("SSL", None, "", "admin", "p12"),
]


def failures(cluster: SecuredCluster) -> list[tuple[str, ConnectionSpec, str, str]]:
    """Each way to get a connection wrong: (what, profile, problem kind, what the sentence must say)."""
    ca = str(cluster.pki.ca_pem)
    rogue = cluster.pki.rogue_client
    return [
        ("wrong password", app_spec(cluster, "SASL_SSL", "alice", password="nope"), "auth",
         "rejected the user name or password of alice"),
        ("mechanism not enabled", app_spec(cluster, "SCRAM_ONLY", "alice", "PLAIN"), "auth",
         "SASL mechanism PLAIN is not enabled"),
        ("plaintext client on a TLS port", app_spec(cluster, "SSL", tls=False), "tls", "is a TLS listener"),
        ("no client certificate where one is required", app_spec(cluster, "SSL"), "tls",
         "requires a client certificate"),
        ("untrusted client certificate", app_spec(cluster, "SSL", tls_cert_path=str(rogue.cert_pem),
                                                  tls_key_path=str(rogue.key_pem)), "tls",
         "refused the client certificate"),
        ("broker certificate not trusted", app_spec(cluster, "SASL_SSL", "alice", trust_ca=False), "tls",
         "is not trusted by the system's trusted CAs"),
        ("TLS client on a plaintext port", app_spec(cluster, "PLAINTEXT", tls=True, tls_ca_path=ca), "tls",
         "does not speak TLS"),
        ("a SASL listener without SASL", app_spec(cluster, "SASL_PLAINTEXT"), "auth", "requires SASL authentication"),
        ("SASL on a listener without SASL", app_spec(cluster, "PLAINTEXT", "alice"), "auth", "is not a SASL listener"),
    ]


def test_the_app_connects_with_every_mechanism_and_certificate_form(secured_cluster: SecuredCluster) -> None:
    async def run() -> list[str]:
        seen = []
        for n, (listener, user, mech, cert, form) in enumerate(GOOD):
            spec = app_spec(secured_cluster, listener, user, mech, cert=cert, cert_form=form or "pem")
            admin = AdminService(spec, 15)
            try:
                said = await admin.check()
                assert said.startswith("Connected to "), said
                await admin.create_topic(f"app-secured-{n}", 1, 1)  # the admin may; the topic shows in the list
                assert f"app-secured-{n}" in [t.name for t in await admin.list_topics()]
                seen.append(said)
            finally:
                admin.close()
        return seen
    said = asyncio.run(run())
    assert [" over TLS" in s for s in said] == [good[0] != "SASL_PLAINTEXT" for good in GOOD], said
    assert [f"as admin ({good[2]})" in s for s, good in zip(said, GOOD, strict=True)] == [bool(g[1]) for g in GOOD]


def test_each_failure_is_one_sentence_naming_the_step(qtbot: QtBot, window: MainWindow, store: Store,
                                                      secured_cluster: SecuredCluster) -> None:
    store.set(S.REQUEST_TIMEOUT, 10.0)
    for what, spec, kind, says in failures(secured_cluster):
        store.save_profile(spec)
        window.profiles.dialog = None
        window.profiles.edit(spec.name)  # the profile and its secrets are read off the GUI thread
        qtbot.waitUntil(lambda: window.profiles.dialog is not None, timeout=10_000)
        dialog = window.profiles.dialog
        assert dialog is not None
        qtbot.mouseClick(dialog.test_button, _left())
        qtbot.waitUntil(lambda d=dialog: d.result_label.text().startswith(("✘", "✔"))
                        and "Testing" not in d.result_label.text(), timeout=30_000)
        text = dialog.result_label.text()
        dialog.close()
        assert text.startswith("✘ "), f"{what}: {text}"
        sentence = text[2:]
        assert says in sentence, f"{what}: {sentence}"
        assert "\n" not in sentence and sentence.endswith(".") and sentence.count(". ") == 0, f"{what}: {sentence}"
        assert _probe_problem(qtbot, spec).kind == kind, f"{what}: {sentence}"  # what panes meet (AdminService)


def _probe_problem(qtbot: QtBot, spec: ConnectionSpec) -> Problem:
    """wire.probe's problem, run on the window's event loop."""
    async def run() -> Problem:
        try:
            await wire.probe(spec, 10)
        except WorkbenchError as exc:
            return exc.problem
        raise AssertionError(f"{spec.name} connected")
    task = asyncio.ensure_future(run())
    qtbot.waitUntil(task.done, timeout=30_000)
    return task.result()


def _left() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_acl_pane_lists_creates_and_deletes_acls(qtbot: QtBot, window: MainWindow, store: Store,
                                                 secured_cluster: SecuredCluster) -> None:
    admin = app_spec(secured_cluster, "SASL_SSL", "admin", "SCRAM-SHA-512", name=f"{secured_cluster.name} admin")
    store.save_profile(admin)
    pane = window.acls_pane
    window.show_pane("acls")
    with qtbot.waitSignal(pane.shown, timeout=30_000, check_params_cb=lambda w: w == "acls"):
        window._switch_to(admin.name)
    before = len(pane.entries)
    pane.principal.setText("User:dora")
    pane.resource_type.setCurrentText("TOPIC")
    pane.pattern.setCurrentText("PREFIXED")
    pane.resource.setText("dora-")
    pane.operation.setCurrentText("WRITE")
    pane.permission.setCurrentText("ALLOW")
    with qtbot.waitSignal(pane.shown, timeout=30_000, check_params_cb=lambda w: w == "acls"):
        qtbot.mouseClick(pane.add_button, _left())
    added = [e for e in pane.entries if e.principal == "User:dora"]
    assert [(e.resource_type, e.pattern_type, e.resource_name, e.operation, e.permission) for e in added] == \
        [("TOPIC", "PREFIXED", "dora-", "WRITE", "ALLOW")]
    assert len(pane.entries) == before + 1
    row = next(r for r in range(pane.proxy.rowCount()) if pane.proxy.index(r, 0).data() == "User:dora")
    pane.table.selectRow(row)
    assert pane.delete_button.isEnabled()
    pane.ask_delete()
    with qtbot.waitSignal(pane.shown, timeout=30_000, check_params_cb=lambda w: w == "acls"):
        pane.confirm.accept()
    assert not [e for e in pane.entries if e.principal == "User:dora"] and len(pane.entries) == before
    # a read-only profile of the same cluster can look, not change
    read_only = app_spec(secured_cluster, "SASL_SSL", "admin", "SCRAM-SHA-512", name=f"{secured_cluster.name} ro",
                         read_only=True)
    store.save_profile(read_only)
    with qtbot.waitSignal(pane.shown, timeout=30_000, check_params_cb=lambda w: w == "acls"):
        window._switch_to(read_only.name)
    assert not pane.form.isEnabled() and not pane.delete_button.isEnabled()


def test_not_authorised_is_said_where_it_applies(qtbot: QtBot, window: MainWindow, store: Store,
                                                 secured_cluster: SecuredCluster) -> None:
    from confluent_kafka.admin import (  # type: ignore[attr-defined]
        AclBinding,
        AclOperation,
        AclPermissionType,
        AdminClient,
        NewTopic,
        ResourcePatternType,
        ResourceType,
    )

    admin = AdminClient(secured_cluster.confluent("SSL", cert="admin"))
    for topic in ("bob-reads", "bob-never-sees"):
        with contextlib.suppress(Exception):  # there from an earlier run of this session
            admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(30)
    for fut in admin.create_acls([AclBinding(ResourceType.TOPIC, "bob-reads", ResourcePatternType.LITERAL, "User:bob",
                                             "*", AclOperation.READ, AclPermissionType.ALLOW)]).values():
        fut.result(30)
    bob = app_spec(secured_cluster, "SASL_SSL", "bob", "SCRAM-SHA-256", name=f"{secured_cluster.name} bob")
    store.save_profile(bob)
    with qtbot.waitSignal(window.acls_pane.shown, timeout=30_000, check_params_cb=lambda w: w == "unavailable"):
        window._switch_to(bob.name)
    assert window.acls_pane.banner.text.startswith("Not authorised to list ACLs"), window.acls_pane.banner.text
    pane = window.topics_pane
    qtbot.waitUntil(lambda: "bob-reads" in [t.name for t in pane.model.topics], timeout=30_000)
    assert "bob-never-sees" not in [t.name for t in pane.model.topics]  # hidden, as Kafka hides it
    with qtbot.waitSignal(pane.shown, timeout=30_000, check_params_cb=lambda w: w == "configs"):
        pane.select("bob-reads")
    qtbot.waitUntil(lambda: len(pane.partition_model.rows) == 2, timeout=30_000)  # what bob may see, he sees
    assert pane.config_note.text() == ("Configs are not available: Reading the configs of topic bob-reads: not "
                                       "authorised: the cluster's ACLs do not allow this user that on the topic "
                                       "(TOPIC_AUTHORIZATION_FAILED)."), pane.config_note.text()
    with qtbot.waitSignal(pane.shown, timeout=30_000, check_params_cb=lambda w: w == "problem"):
        window.topics_ctl.create("bob-wants-a-topic", 1, 1, {})
    assert pane.banner.text == ("Creating topic bob-wants-a-topic: not authorised: the cluster's ACLs do not allow "
                                "this user that on the topic (TOPIC_AUTHORIZATION_FAILED)."), pane.banner.text
    assert window.session is not None and not window.session.failed  # a refusal, not a lost connection


def test_local_broker_starts_secured_from_its_pane(qtbot: QtBot, window: MainWindow, store: Store) -> None:
    pane, local = window.local_pane, window.local
    pane.secured.setChecked(True)  # before the first start: taken at start
    assert store.get(S.LOCAL_SECURED) and local.secured
    with qtbot.waitSignal(window.acls_pane.shown, timeout=60_000, check_params_cb=lambda w: w == "acls"):
        window.start()
    assert local.state == "running" and local.running_secured
    assert window.session is not None
    spec = window.session.spec
    assert (spec.security_protocol, spec.sasl_mechanism, spec.sasl_username) == ("SASL_SSL", "SCRAM-SHA-256", "admin")
    assert spec.tls_ca_path == str(local.ca_path) and local.ca_path.exists()
    assert not list(local.security_dir.glob("*.args"))  # the credential file is gone once the broker has it
    assert "SASL_SSL" in pane.security.text() and pane.copy_password.isVisible()
    assert pane.settings_lines == [f"bootstrap.servers={local.bootstrap}", "security.protocol=SASL_SSL",
                                   "sasl.mechanism=SCRAM-SHA-256", "sasl.username=admin",
                                   f"ssl.ca.location={local.ca_path}"]  # what the Copy client settings button copies
    assert window.acls_pane.entries == [] and "no ACLs yet" in window.acls_pane.banner.text
    # a client with the wrong password is refused; the admin (super user) may do everything
    wrong = ConnectionSpec("x", local.bootstrap, sasl_mechanism="SCRAM-SHA-256", sasl_username="admin",
                           sasl_password="guess", tls=True, tls_ca_path=str(local.ca_path))
    assert "rejected the user name or password" in _probe_problem(qtbot, wrong).sentence
    with qtbot.waitSignal(window.topics_pane.shown, timeout=30_000, check_params_cb=lambda w: w == "topics"):
        window.topics_ctl.create("secured-local", 1, 1, {})
    assert "secured-local" in [t.name for t in window.topics_pane.model.topics]
    # and back: unsecured on the next start
    with qtbot.waitSignal(window.topics_pane.shown, timeout=60_000, check_params_cb=lambda w: w == "topics"):
        pane.secured.setChecked(False)
    assert not local.running_secured and window.session is not None and not window.session.spec.tls
    assert pane.settings_lines == [f"bootstrap.servers={local.bootstrap}"]
