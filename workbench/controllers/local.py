"""The Local broker feature: start, stop, restart, keep-running, its log, and the sample data offer."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from workbench import settings as S
from workbench.controllers.base import Controller, StatusLine
from workbench.errors import Problem
from workbench.local_broker import LocalBroker
from workbench.panes.local import LocalPane
from workbench.services.sample_data import SampleResult, load_sample_data
from workbench.session import Session
from workbench.store import Store
from workbench.ui.tasks import TaskRunner

POLL_MS = 500


class LocalController(Controller):
    pane_key = "local"
    #: the Local broker's state changed: running, stopped, failed, starting, stopping
    state_changed = Signal(str)
    #: sample data was loaded: the panes that show topics and groups should reload
    data_changed = Signal()

    def __init__(self, pane: LocalPane, tasks: TaskRunner, status: StatusLine, store: Store, local: LocalBroker,
                 window: QWidget) -> None:
        super().__init__(tasks, status, window)
        self.pane = pane
        self.store = store
        self.local = local
        self.window = window
        self._log_offset = 0
        local.on_state = self._state
        pane.start_requested.connect(self.start)
        pane.stop_requested.connect(lambda: self.tasks.run("stopping the Local broker", local.stop(), key="local"))
        pane.restart_requested.connect(lambda: self.tasks.run("restarting the Local broker", local.restart(),
                                                              key="local"))
        pane.keep_running_changed.connect(lambda keep: self.store.set(S.KEEP_LOCAL_RUNNING, keep))
        pane.secured_changed.connect(self.set_secured)
        pane.copy_password_requested.connect(self.copy_password)
        local.secrets = store.secrets
        local.secured = store.get(S.LOCAL_SECURED)
        pane.set_secured(local.secured)
        pane.sample_data_requested.connect(self.load_sample_data)
        pane.set_keep_running(store.get(S.KEEP_LOCAL_RUNNING))
        pane.show_bootstrap(local.bootstrap if local.port else "", str(local.data_dir))
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def start(self) -> None:
        self.tasks.run("starting the Local broker", self.local.start(), key="local")

    def set_secured(self, secured: bool) -> None:
        """Secured or not takes effect at the next start: a running broker is restarted now."""
        self.store.set(S.LOCAL_SECURED, secured)
        self.local.secured = secured
        if self.local.state == "running" and self.local.running_secured != secured:
            self.tasks.run("restarting the Local broker", self.local.restart(), key="local")

    def copy_password(self) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.clipboard().setText(self.local.admin_password())
        self.status.inform("The Local broker's admin password is on the clipboard.")

    def on_connection(self, session: Session | None) -> None:
        if session is not None and session.spec.local and not self.store.get(S.SAMPLE_DATA_OFFERED):
            self._offer_sample_data()

    def _state(self, state: str, message: str) -> None:
        self.pane.show_state(state, message)
        if state == "running" and self.local.running_secured:
            kept = "in the OS keyring" if self.store.secrets.available else "kept for this session only"
            self.pane.show_security(
                f"Clients connect with security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-256, user admin (its "
                f"password is {kept}: Copy admin password), trusting the CA {self.local.ca_path}.")
        elif state in ("running", "stopped"):
            self.pane.show_security("")
        if self.local.port:
            secured = state == "running" and self.local.running_secured
            self.pane.show_bootstrap(self.local.bootstrap, str(self.local.data_dir), (
                "security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-256", "sasl.username=admin",
                f"ssl.ca.location={self.local.ca_path}") if secured else ())
            if self.store.get(S.LOCAL_PORT) != self.local.port:
                self.store.set(S.LOCAL_PORT, self.local.port)
        if state == "failed":
            self.status.report(Problem("internal", message, self.local.read_log(max(0, self._log_offset - 4000))[0]))
        self.state_changed.emit(state)

    def _poll(self) -> None:
        self.local.check()
        text, self._log_offset = self.local.read_log(self._log_offset)
        self.pane.append_log(text)

    def _offer_sample_data(self) -> None:
        self.store.set(S.SAMPLE_DATA_OFFERED, True)
        box = QMessageBox(QMessageBox.Icon.Question, "Sample data",
                          "The Local broker is running. Load sample data (a few topics of keyed JSON messages with "
                          "headers, and a consumer group that lags) so every pane has something to show?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.window)
        box.setObjectName("sample-data-offer")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.accepted.connect(self.load_sample_data)
        self.sample_offer = box
        box.open()

    def load_sample_data(self) -> None:
        admin = self.admin
        if admin is None or not admin.spec.local:
            return

        def done(result: SampleResult) -> None:
            self.pane.show_sample_result(result.sentence)
            self.status.inform(result.sentence)
            self.data_changed.emit()
        self.tasks.run("loading sample data", load_sample_data(admin), done, key="sample",
                       on_error=lambda p: self.pane.show_sample_result(p.sentence))

    async def stop(self) -> None:
        self.timer.stop()
        if not self.store.get(S.KEEP_LOCAL_RUNNING):
            await self.local.stop()

    def shutdown(self) -> None:
        self.timer.stop()
        if self.store.get(S.KEEP_LOCAL_RUNNING):
            self.local.detach()
        else:
            self.local.stop_now()
