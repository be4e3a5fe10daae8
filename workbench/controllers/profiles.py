"""Connection profiles: the profile dialog (test, save) and deleting a profile; the window switches connections."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from workbench import settings as S
from workbench.controllers.base import Controller, StatusLine
from workbench.services.admin import AdminService
from workbench.services.connection import ConnectionSpec
from workbench.services.registry import RegistryService, RegistrySettings
from workbench.store import LOCAL_PROFILE, Store
from workbench.ui.profile_dialog import ProfileDialog
from workbench.ui.tasks import TaskRunner


class ProfilesController(Controller):
    #: a profile was saved (open it) or deleted (go back to Local); the name
    saved = Signal(str)
    deleted = Signal(str)

    def __init__(self, tasks: TaskRunner, status: StatusLine, store: Store, window: QWidget,
                 parent: QObject | None = None) -> None:
        super().__init__(tasks, status, parent)
        self.store = store
        self.window = window
        self.dialog: ProfileDialog | None = None

    def edit(self, name: str | None) -> None:
        """The profile dialog for a new profile (None) or the named one (its secrets read off the GUI thread)."""
        async def load() -> tuple[ConnectionSpec | None, str]:
            spec = None
            if name and name != LOCAL_PROFILE:
                with contextlib.suppress(KeyError):
                    spec = await self.store.load_profile_async(name)
            return spec, await self.store.keyring_note()
        self.tasks.run(f"reading the profile {name}" if name else "opening a new profile", load(),
                       lambda found: self._open_dialog(*found), key="profile-dialog")

    def _open_dialog(self, spec: ConnectionSpec | None, keyring_note: str) -> None:
        dlg = ProfileDialog(spec, keyring_note, self.window)
        self.dialog = dlg

        def test(candidate: ConnectionSpec) -> None:
            dlg.show_result("Testing…", True)
            self.tasks.run("testing the connection", AdminService(candidate, self.store.get(S.REQUEST_TIMEOUT))
                           .check(), done=lambda text: dlg.show_result(text, True),
                           on_error=lambda p: dlg.show_result(p.sentence, False))

        def test_registry(candidate: ConnectionSpec) -> None:
            settings = RegistrySettings.of(candidate, self.store.get(S.REQUEST_TIMEOUT))
            if settings is None:
                dlg.show_result("Enter the Schema Registry's URL first.", False)
                return
            dlg.show_result("Testing the Schema Registry…", True)
            service = RegistryService(settings)

            async def check() -> str:
                try:
                    return await service.check()
                finally:
                    service.close()
            self.tasks.run("testing the Schema Registry", check(), done=lambda text: dlg.show_result(text, True),
                           on_error=lambda p: dlg.show_result(p.sentence, False))

        def save(candidate: ConnectionSpec) -> None:
            def saved(_r: object) -> None:
                dlg.accept()
                self.saved.emit(candidate.name)
            dlg.show_result("Saving…", True)
            self.tasks.run(f"saving the profile {candidate.name}", self.store.save_profile_async(candidate), saved,
                           key="profile-save", on_error=lambda p: dlg.show_result(p.sentence, False))
        dlg.test_requested.connect(test)
        dlg.save_requested.connect(save)
        dlg.registry_test_requested.connect(test_registry)
        dlg.open()

    def delete(self, name: str) -> None:
        if name and name != LOCAL_PROFILE:
            self.tasks.run(f"deleting the profile {name}", self.store.delete_profile_async(name),
                           lambda _r: self.deleted.emit(name))
