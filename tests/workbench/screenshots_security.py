"""Screenshots of the security features, for looking at (not committed): the secured profile dialog, a failed
connection's sentence, the ACL pane (as an admin and as a user who may not see ACLs), the secured Local broker.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.workbench.screenshots_security [OUT_DIR]

Starts a secured engine (SASL_SSL, SCRAM, ACLs; certificates made for the run) and writes profile-secured.png,
profile-test-failed.png, connection-failed.png, acls.png, acls-not-authorised.png and local-secured.png.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wb-shots-sec-"))
    os.environ["KAFKA_WORKBENCH_HOME"] = str(home)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

    import qasync
    from confluent_kafka.admin import (  # type: ignore[attr-defined]
        AclBinding,
        AclOperation,
        AclPermissionType,
        AdminClient,
        NewTopic,
        ResourcePatternType,
        ResourceType,
    )
    from PySide6.QtWidgets import QApplication, QWidget

    from tests.components.pki import make_pki
    from tests.components.secured import create_scram_users, start_secured_engine
    from tests.workbench.screenshots import until
    from tests.workbench.secured_support import app_spec
    from workbench import settings as S
    from workbench.main_window import MainWindow
    from workbench.services.threads import EXECUTOR
    from workbench.store import Store
    from workbench.ui.profile_dialog import ProfileDialog
    from workbench.ui.theme import apply_theme

    pki = make_pki(home / "pki")
    cluster = start_secured_engine(home / "engine", pki)
    create_scram_users(cluster)
    admin = AdminClient(cluster.confluent("SSL", cert="admin"))
    for fut in admin.create_topics([NewTopic(t, 3, 1) for t in ("orders", "payments", "audit")]).values():
        fut.result(30)
    acls = [AclBinding(ResourceType.TOPIC, "orders", ResourcePatternType.LITERAL, "User:alice", "*",
                       AclOperation.READ, AclPermissionType.ALLOW),
            AclBinding(ResourceType.GROUP, "orders-", ResourcePatternType.PREFIXED, "User:alice", "*",
                       AclOperation.READ, AclPermissionType.ALLOW),
            AclBinding(ResourceType.TOPIC, "payments", ResourcePatternType.LITERAL, "User:bob", "*",
                       AclOperation.WRITE, AclPermissionType.ALLOW),
            AclBinding(ResourceType.TOPIC, "audit", ResourcePatternType.LITERAL, "User:*", "10.0.0.7",
                       AclOperation.ALL, AclPermissionType.DENY),
            AclBinding(ResourceType.BROKER, "kafka-cluster", ResourcePatternType.LITERAL, "User:ops", "*",
                       AclOperation.DESCRIBE_CONFIGS, AclPermissionType.ALLOW)]
    for fut in admin.create_acls(acls).values():
        fut.result(30)

    app = QApplication(sys.argv)
    store = Store()
    store.set(S.SAMPLE_DATA_OFFERED, True)
    apply_theme(app, "light")
    loop = qasync.QEventLoop(app)
    loop.set_default_executor(EXECUTOR)
    asyncio.set_event_loop(loop)
    window = MainWindow(store)
    window.resize(1360, 820)
    window.show()

    def shot(name: str, widget: QWidget | None = None) -> None:
        app.processEvents()
        path = out / f"{name}.png"
        (widget or window).grab().save(str(path))
        print(f"wrote {path}", flush=True)

    async def settle(seconds: float = 0.4) -> None:
        await asyncio.sleep(seconds)
        app.processEvents()

    admin_profile = app_spec(cluster, "SASL_SSL", "admin", "SCRAM-SHA-512", name="prod (SASL_SSL, SCRAM)")
    bob_profile = app_spec(cluster, "SASL_SSL", "bob", "SCRAM-SHA-256", name="prod as bob")
    wrong = app_spec(cluster, "SASL_SSL", "alice", "SCRAM-SHA-256", password="wrong", name="prod as alice")
    mtls = app_spec(cluster, "SSL", cert="alice", cert_form="p12", name="prod (mutual TLS)")
    for spec in (admin_profile, bob_profile, wrong, mtls):
        store.save_profile(spec)
    window._fill_switcher()

    async def run() -> None:
        dialog = ProfileDialog(mtls, store.secrets.fallback_message, window)
        dialog.show()
        dialog.show_result("Connected to " + cluster.bootstrap("SSL") + " over TLS: the broker supports 36 APIs.", True)
        await settle()
        shot("profile-secured", dialog)
        dialog.close()

        window.profiles.edit(wrong.name)  # the profile's secrets are read off the GUI thread
        await until(lambda: window.profiles.dialog is not None, 10, "the profile dialog")
        dlg = window.profiles.dialog
        assert dlg is not None
        dlg.test_button.click()
        await until(lambda: "Testing" not in dlg.result_label.text() and dlg.result_label.text() != "", 30,
                    "the test result")
        await settle()
        shot("profile-test-failed", dlg)
        dlg.close()

        window._switch_to(wrong.name)
        window.show_pane("topics")
        await until(lambda: window.topics_pane.banner.text != "", 30, "the failure sentence")
        await settle()
        shot("connection-failed")

        window._switch_to(admin_profile.name)
        window.show_pane("acls")
        await until(lambda: len(window.acls_pane.entries) >= 5, 30, "the ACLs")
        window.acls_pane.principal.setText("User:carol")
        window.acls_pane.resource.setText("orders")
        await settle()
        shot("acls")

        window._switch_to(bob_profile.name)
        window.show_pane("acls")
        await until(lambda: window.acls_pane.banner.text.startswith("Not authorised"), 30, "not authorised")
        await settle()
        shot("acls-not-authorised")

        window.local_pane.secured.setChecked(True)
        window._switch_to("Local")
        await until(lambda: window.local.state == "running" and window.local.running_secured, 60, "secured Local")
        await until(lambda: window.session is not None and window.session.spec.local, 30, "the Local session")
        window.show_pane("local")
        await settle(1.0)
        shot("local-secured")

    try:
        with loop:
            loop.run_until_complete(run())
    finally:
        window.shutdown()
        cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
