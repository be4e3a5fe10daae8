"""Kafka's on-disk log: record batch headers, segments with sparse indexes, and the per-partition Log."""

from engine.storage.batch import BatchHeader, CorruptRecordError, InvalidRecordError, validate_produce_batches
from engine.storage.log import AppendInfo, FetchData, Log, LogConfig, OffsetOutOfRangeError

__all__ = [
    "AppendInfo",
    "BatchHeader",
    "CorruptRecordError",
    "FetchData",
    "InvalidRecordError",
    "Log",
    "LogConfig",
    "OffsetOutOfRangeError",
    "validate_produce_batches",
]
