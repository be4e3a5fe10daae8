"""The app's own database (sqlite-utils, in the user's config directory): profiles and settings; secrets in the keyring.

Layout: `profiles` (one row per connection profile; extra client properties as JSON),
`settings` (key -> JSON value, see settings.py), `templates` (produce-pane templates:
name -> the form as JSON, with byte fields written as record_file writes them) and, for
consumer groups, `group_resets` (each reset applied, with the offsets it replaced, for
undo), `pinned_groups` and `lag_samples` (cluster, group, time in ms, total lag; written
off the GUI thread by services/lag_history.py). Passwords never enter the database:
they go to the OS keyring under the service name "kafka-workbench" and the account
"<profile>/<secret>". When no keyring backend exists (a headless machine), secrets are
kept in memory for this session only and `SecretStore.fallback_message` says so, so the
UI can tell the user once. Keyring calls can block (the Secret Service may prompt), so the
GUI uses the `*_async` methods: the database on the calling thread, the keyring on a worker.

`KAFKA_WORKBENCH_HOME`, when set, holds both the config and the data directory
(tests and portable installs use it).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
import sqlite_utils

from workbench.services.connection import ConnectionSpec
from workbench.services.group_model import ResetRecord
from workbench.services.threads import EXECUTOR
from workbench.settings import REGISTRY, Setting, T

R = TypeVar("R")

APP = "kafka-workbench"
HOME_ENV = "KAFKA_WORKBENCH_HOME"
LOCAL_PROFILE = "Local"
SECRET_FIELDS = ("sasl_password", "tls_key_password", "tls_keystore_password", "registry_password", "registry_token")
REGISTRY_COLUMNS = ("registry_url", "registry_auth", "registry_username", "registry_ca_path")
BOOL_FIELDS = frozenset(f.name for f in dataclasses.fields(ConnectionSpec) if f.type in (bool, "bool"))


def config_dir() -> Path:
    home = os.environ.get(HOME_ENV)
    path = Path(home) / "config" if home else Path(platformdirs.user_config_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    home = os.environ.get(HOME_ENV)
    path = Path(home) / "data" if home else Path(platformdirs.user_data_dir(APP))
    path.mkdir(parents=True, exist_ok=True)
    return path


class SecretStore:
    """Secrets in the OS keyring, or in memory for this session when there is no keyring.

    Every method here may block (the Secret Service can take seconds, or wait for the user to unlock a
    collection): the GUI calls them through the Store's async methods, which run them on a worker thread."""

    def __init__(self) -> None:
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        self._usable: bool | None = None
        self.fallback_message = ""

    @property
    def available(self) -> bool:
        """Whether the OS keyring is used (found on first use; blocking)."""
        with self._lock:
            if self._usable is None:
                self._usable = self._probe()
            return self._usable

    def _probe(self) -> bool:
        try:
            import keyring
            from keyring.backends import fail

            backend = keyring.get_keyring()
            usable = not isinstance(backend, fail.Keyring) and backend.priority > 0
        except Exception as exc:  # a broken keyring installation is the same as none
            usable = False
            self.fallback_message = f"The OS keyring cannot be used ({exc}); "
        if not usable:
            self.fallback_message = (self.fallback_message or "No OS keyring is available; ") + \
                "passwords are kept in memory for this session only and must be entered again next time."
        return usable

    def get(self, account: str) -> str:
        if not self.available:
            return self._memory.get(account, "")
        import keyring

        return keyring.get_password(APP, account) or ""

    def set(self, account: str, secret: str) -> None:
        if not self.available:
            if secret:
                self._memory[account] = secret
            else:
                self._memory.pop(account, None)
            return
        import keyring
        from keyring.errors import PasswordDeleteError

        if secret:
            keyring.set_password(APP, account, secret)
        else:
            with contextlib.suppress(PasswordDeleteError):
                keyring.delete_password(APP, account)


async def off_gui_thread(fn: Callable[[], R]) -> R:
    """Run a blocking keyring call on a worker thread (the database stays on the calling thread)."""
    return await asyncio.get_running_loop().run_in_executor(EXECUTOR, fn)


class Store:
    def __init__(self, path: Path | None = None, secrets: SecretStore | None = None) -> None:
        self.path = path or config_dir() / "workbench.db"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.secrets = secrets or SecretStore()
        self._migrate()

    def _migrate(self) -> None:
        if "profiles" not in self.db.table_names():
            self.db.table("profiles").create({
                "name": str, "bootstrap": str, "sasl_mechanism": str, "sasl_username": str, "tls": int,
                "tls_ca_path": str, "tls_cert_path": str, "tls_key_path": str, "extra": str, "zookeeper": str,
                "read_only": int,
            }, pk="name")
        profiles = self.db.table("profiles")
        for column in REGISTRY_COLUMNS:  # the Schema Registry fields came later: older databases gain them
            if column not in profiles.columns_dict:
                profiles.add_column(column, str)
        if "settings" not in self.db.table_names():
            self.db.table("settings").create({"key": str, "value": str}, pk="key")
        if "templates" not in self.db.table_names():
            self.db.table("templates").create({"name": str, "state": str, "updated": float}, pk="name")
        self._migrate_groups()

    def _migrate_groups(self) -> None:
        """Consumer groups: resets applied (for undo), pinned groups, lag samples (written by LagHistory)."""
        names = self.db.table_names()
        if "group_resets" not in names:
            self.db.table("group_resets").create({
                "id": int, "cluster": str, "group_id": str, "applied_ms": int, "description": str, "command": str,
                "rows": str, "undo_of": int, "undone_by": int,
            }, pk="id")
            self.db.table("group_resets").create_index(["cluster", "group_id"])
        if "pinned_groups" not in names:
            self.db.table("pinned_groups").create({"cluster": str, "group_id": str}, pk=("cluster", "group_id"))
        if "lag_samples" not in names:
            self.db.table("lag_samples").create({"cluster": str, "group_id": str, "ts": int, "lag": int})
            self.db.table("lag_samples").create_index(["cluster", "group_id", "ts"])
            self.db.table("lag_samples").create_index(["ts"])

    def close(self) -> None:
        self.db.close()

    # -- settings ------------------------------------------------------------------------

    def get(self, setting: Setting[T]) -> T:
        rows = list(self.db.table("settings").rows_where("key = ?", [setting.key]))
        if not rows:
            return setting.default
        try:
            return setting.coerce(json.loads(rows[0]["value"]))
        except ValueError:
            return setting.default

    def set(self, setting: Setting[T], value: T) -> None:
        assert setting.key in REGISTRY
        self.db.table("settings").upsert({"key": setting.key, "value": json.dumps(setting.coerce(value))}, pk="key")

    # -- consumer groups: resets applied, pinned groups -------------------------------------

    def record_reset(self, cluster: str, group: str, applied_ms: int, description: str, command: str,
                     rows: list[tuple[str, int, int | None, str, int | None, int]], undo_of: int | None = None) -> int:
        """Keep a reset that was applied (rows: topic, partition, offset, metadata and leader epoch before, offset
        after); an undo also marks the reset it undid. Returns the new reset's id."""
        table = self.db.table("group_resets")
        table.insert({"cluster": cluster, "group_id": group, "applied_ms": applied_ms, "description": description,
                      "command": command, "rows": json.dumps(rows), "undo_of": undo_of, "undone_by": None})
        new_id = int(table.last_pk or 0)
        if undo_of is not None:
            table.update(undo_of, {"undone_by": new_id})
        return new_id

    def resets(self, cluster: str, group: str) -> list[ResetRecord]:
        """The resets applied to a group on a cluster, newest first."""
        out = []
        for r in self.db.table("group_resets").rows_where("cluster = ? and group_id = ?", [cluster, group],
                                                          order_by="id desc"):
            rows = tuple((t, int(p), None if b is None else int(b), md or "", None if e is None else int(e), int(a))
                         for t, p, b, md, e, a in json.loads(r["rows"]))
            out.append(ResetRecord(int(r["id"]), r["cluster"], r["group_id"], int(r["applied_ms"]), r["description"],
                                   r["command"], rows, r["undo_of"], r["undone_by"]))
        return out

    def pinned_groups(self, cluster: str) -> frozenset[str]:
        return frozenset({r["group_id"] for r in self.db.table("pinned_groups").rows_where("cluster = ?", [cluster])})

    def set_pinned(self, cluster: str, group: str, pinned: bool) -> None:
        table = self.db.table("pinned_groups")
        if pinned:
            table.upsert({"cluster": cluster, "group_id": group}, pk=("cluster", "group_id"))
        else:
            table.delete_where("cluster = ? and group_id = ?", [cluster, group])

    # -- profiles ------------------------------------------------------------------------

    def profile_names(self) -> list[str]:
        return [r["name"] for r in self.db.table("profiles").rows_where(order_by="name")]

    def save_profile(self, spec: ConnectionSpec, with_secrets: bool = True) -> None:
        if spec.local or spec.name == LOCAL_PROFILE:
            raise ValueError(f"the name {LOCAL_PROFILE!r} is reserved for the bundled broker")
        if not spec.name.strip():
            raise ValueError("a profile needs a name")
        if not spec.bootstrap.strip():
            raise ValueError("a profile needs at least one bootstrap server (host:port)")
        spec.first_address()
        row: dict[str, Any] = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)
                               if f.name not in (*SECRET_FIELDS, "local", "extra")}
        row["extra"] = json.dumps(spec.extra)
        for name in BOOL_FIELDS & row.keys():
            row[name] = int(row[name])
        self.db.table("profiles").upsert(row, pk="name", alter=True)  # alter: columns of fields added later
        if with_secrets:
            self._save_secrets(spec)

    def _save_secrets(self, spec: ConnectionSpec) -> None:
        for name in SECRET_FIELDS:
            self.secrets.set(f"{spec.name}/{name}", getattr(spec, name))

    def load_profile(self, name: str, with_secrets: bool = True) -> ConnectionSpec:
        rows = list(self.db.table("profiles").rows_where("name = ?", [name]))
        if not rows:
            raise KeyError(name)
        row = dict(rows[0])
        row["extra"] = json.loads(row.get("extra") or "{}")
        known = {f.name for f in dataclasses.fields(ConnectionSpec)}
        # a column a newer field added is NULL in older rows: that field keeps its default
        values: dict[str, Any] = {k: (bool(v) if k in BOOL_FIELDS else v) for k, v in row.items()
                                  if k in known and v is not None}
        if with_secrets:
            for secret in SECRET_FIELDS:
                values[secret] = self.secrets.get(f"{name}/{secret}")
        return ConnectionSpec(**values)

    def delete_profile(self, name: str) -> None:
        self.db.table("profiles").delete_where("name = ?", [name])
        for secret in SECRET_FIELDS:
            self.secrets.set(f"{name}/{secret}", "")

    # -- the same, for the GUI thread: the database here, the keyring on a worker thread ---------

    async def keyring_note(self) -> str:
        """Empty when the OS keyring is used, otherwise the sentence telling the user where passwords go."""
        await off_gui_thread(lambda: self.secrets.available)
        return self.secrets.fallback_message

    async def load_profile_async(self, name: str) -> ConnectionSpec:
        spec = self.load_profile(name, with_secrets=False)
        found: dict[str, Any] = await off_gui_thread(
            lambda: {s: self.secrets.get(f"{name}/{s}") for s in SECRET_FIELDS})
        return dataclasses.replace(spec, **found)

    async def save_profile_async(self, spec: ConnectionSpec) -> None:
        self.save_profile(spec, with_secrets=False)
        await off_gui_thread(lambda: self._save_secrets(spec))

    async def delete_profile_async(self, name: str) -> None:
        self.db.table("profiles").delete_where("name = ?", [name])
        await off_gui_thread(lambda: self._save_secrets(ConnectionSpec(name=name, bootstrap="")))

    # -- produce templates ---------------------------------------------------------------

    def template_names(self) -> list[str]:
        return [r["name"] for r in self.db.table("templates").rows_where(order_by="name")]

    def save_template(self, name: str, state: dict[str, Any]) -> None:
        if not name.strip():
            raise ValueError("a template needs a name")
        self.db.table("templates").upsert({"name": name.strip(), "state": json.dumps(state),
                                           "updated": time.time()}, pk="name")

    def load_template(self, name: str) -> dict[str, Any]:
        rows = list(self.db.table("templates").rows_where("name = ?", [name]))
        if not rows:
            raise KeyError(name)
        state = json.loads(rows[0]["state"])
        return state if isinstance(state, dict) else {}

    def delete_template(self, name: str) -> None:
        self.db.table("templates").delete_where("name = ?", [name])
