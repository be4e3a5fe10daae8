"""One Kafka record as the workbench handles it: where it is, when, and its key, value and headers as bytes."""

from __future__ import annotations

import dataclasses

# librdkafka's timestamp types (confluent_kafka.TIMESTAMP_*), which are Kafka's attribute bit plus one
TIMESTAMP_TYPES = {0: "NoTimestamp", 1: "CreateTime", 2: "LogAppendTime"}
TIMESTAMP_TYPE_CODES = {v: k for k, v in TIMESTAMP_TYPES.items()}

Headers = tuple[tuple[str, bytes | None], ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Record:
    """A consumed (or to-be-produced) record. `key`/`value` None is Kafka's null (a null value is a tombstone);
    header names are strings (as every Kafka client has them), header values bytes or null, order and repeats kept."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()

    @property
    def timestamp_type_name(self) -> str:
        return TIMESTAMP_TYPES.get(self.timestamp_type, str(self.timestamp_type))

    @property
    def size(self) -> int:
        """Key, value and header bytes: what the record weighs, as scan budgets count it."""
        return (len(self.key or b"") + len(self.value or b"") +
                sum(len(k) + len(v or b"") for k, v in self.headers))
