"""The broker's durable metadata in SQLite: cluster id, topics with ids and partition counts, configs.

Every change is one transaction, so a killed process leaves either the old or the
new state. Partition data itself lives in the log directories, not here.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS topics (
    name TEXT PRIMARY KEY,
    topic_id TEXT NOT NULL UNIQUE,
    partitions INTEGER NOT NULL,
    replication_factor INTEGER NOT NULL,
    configs TEXT NOT NULL DEFAULT '{}',
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS broker_configs (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclasses.dataclass
class TopicRecord:
    name: str
    topic_id: uuid.UUID
    partitions: int
    replication_factor: int
    configs: dict[str, str]
    created_ms: int


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # -- meta -------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def next_producer_id(self) -> int:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            current = int(self.get_meta("next_producer_id") or "1000")
            self.set_meta("next_producer_id", str(current + 1))
        return current

    # -- topics ---------------------------------------------------------------------
    def topics(self) -> list[TopicRecord]:
        rows = self.db.execute(
            "SELECT name, topic_id, partitions, replication_factor, configs, created_ms FROM topics"
        ).fetchall()
        return [_topic(r) for r in rows]

    def add_topic(self, rec: TopicRecord) -> None:
        self.db.execute(
            "INSERT INTO topics VALUES (?, ?, ?, ?, ?, ?)",
            (rec.name, str(rec.topic_id), rec.partitions, rec.replication_factor,
             json.dumps(rec.configs), rec.created_ms),
        )

    def delete_topic(self, name: str) -> None:
        self.db.execute("DELETE FROM topics WHERE name=?", (name,))

    def set_partitions(self, name: str, count: int) -> None:
        self.db.execute("UPDATE topics SET partitions=? WHERE name=?", (count, name))

    def set_topic_configs(self, name: str, configs: dict[str, str]) -> None:
        self.db.execute("UPDATE topics SET configs=? WHERE name=?", (json.dumps(configs), name))

    # -- dynamic broker configs -----------------------------------------------------
    def broker_configs(self) -> dict[str, str]:
        return {str(n): str(v) for n, v in self.db.execute("SELECT name, value FROM broker_configs")}

    def set_broker_configs(self, configs: dict[str, str]) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM broker_configs")
            self.db.executemany("INSERT INTO broker_configs VALUES (?, ?)", configs.items())


def _topic(r: Any) -> TopicRecord:
    return TopicRecord(r[0], uuid.UUID(r[1]), int(r[2]), int(r[3]), json.loads(r[4]), int(r[5]))
