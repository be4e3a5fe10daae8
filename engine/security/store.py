"""The broker's security state on disk: ACLs and SCRAM credentials, in `engine-security.sqlite` beside the logs.

Every change is one SQLite transaction (WAL, synchronous=FULL), so ACLs and users
survive restarts and a killed broker keeps either the old or the new set. SCRAM
credentials are kept as Kafka keeps them: per user and mechanism, the string
`salt=...,stored_key=...,server_key=...,iterations=N` (never a password).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from engine.security.acl import AclBinding

SCHEMA = """
CREATE TABLE IF NOT EXISTS acls (
    resource_type INTEGER NOT NULL, name TEXT NOT NULL, pattern_type INTEGER NOT NULL,
    principal TEXT NOT NULL, host TEXT NOT NULL, operation INTEGER NOT NULL, permission INTEGER NOT NULL,
    PRIMARY KEY (resource_type, name, pattern_type, principal, host, operation, permission)
);
CREATE TABLE IF NOT EXISTS scram_credentials (
    user TEXT NOT NULL, mechanism TEXT NOT NULL, credential TEXT NOT NULL, PRIMARY KEY (user, mechanism)
);
"""


class SecurityStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- ACLs ------------------------------------------------------------------------
    def acls(self) -> list[AclBinding]:
        return [AclBinding.of(*row) for row in self.db.execute(
            "SELECT resource_type, name, pattern_type, principal, host, operation, permission FROM acls")]

    def add_acls(self, bindings: list[AclBinding]) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("INSERT OR IGNORE INTO acls VALUES (?, ?, ?, ?, ?, ?, ?)", [_row(b) for b in bindings])

    def remove_acls(self, bindings: list[AclBinding]) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("DELETE FROM acls WHERE resource_type=? AND name=? AND pattern_type=? AND principal=? "
                                "AND host=? AND operation=? AND permission=?", [_row(b) for b in bindings])

    # -- SCRAM credentials ------------------------------------------------------------
    def scram_credentials(self) -> dict[tuple[str, str], str]:
        return {(str(u), str(m)): str(c) for u, m, c in
                self.db.execute("SELECT user, mechanism, credential FROM scram_credentials")}

    def change_scram(self, upserts: dict[tuple[str, str], str], deletes: list[tuple[str, str]]) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("DELETE FROM scram_credentials WHERE user=? AND mechanism=?", deletes)
            self.db.executemany("INSERT OR REPLACE INTO scram_credentials VALUES (?, ?, ?)",
                                [(u, m, c) for (u, m), c in upserts.items()])


def _row(b: AclBinding) -> tuple[int, str, int, str, str, int, int]:
    return (int(b.resource_type), b.name, int(b.pattern_type), b.principal, b.host, int(b.operation),
            int(b.permission))
