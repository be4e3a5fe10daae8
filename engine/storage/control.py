"""Control batches: the transaction markers the coordinator writes into each partition of a transaction.

A control batch has the transactional and control attribute bits set, the producer's
id and epoch, no sequence (-1), and one record:

    key    version int16 = 0, type int16 (0 ABORT, 1 COMMIT)
    value  version int16 = 0, coordinator epoch int32

Consumers never see control records; read_committed ones use them (with the aborted
transactions a fetch lists) to drop the records of aborted transactions.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from engine.storage.batch import ATTR_CONTROL, ATTR_TRANSACTIONAL, parse_header
from engine.storage.records import build_batch, decode_records

ABORT, COMMIT = 0, 1
_KEY = struct.Struct(">hh")
_VALUE = struct.Struct(">hi")


class ControlRecord(NamedTuple):
    aborted: bool
    coordinator_epoch: int


def control_batch(producer_id: int, producer_epoch: int, commit: bool, coordinator_epoch: int,
                  timestamp: int) -> bytes:
    return build_batch([(_KEY.pack(0, COMMIT if commit else ABORT), _VALUE.pack(0, coordinator_epoch), (), timestamp)],
                       producer_id=producer_id, producer_epoch=producer_epoch, base_sequence=-1,
                       attributes=ATTR_TRANSACTIONAL | ATTR_CONTROL)


def parse_control_batch(data: bytes) -> ControlRecord | None:
    """The marker in the control batch at the start of data (None if it is not one)."""
    h = parse_header(data)
    if not h.is_control or len(data) < h.size:
        return None
    (record,) = decode_records(data[: h.size])
    if record.key is None or len(record.key) < _KEY.size:
        return None
    _version, kind = _KEY.unpack_from(record.key)
    epoch = _VALUE.unpack_from(record.value)[1] if record.value and len(record.value) >= _VALUE.size else -1
    return ControlRecord(kind == ABORT, epoch)
