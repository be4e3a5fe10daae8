"""Kafka's formats for offset resets: --to-datetime times, --by-duration durations and the CSV of --export/--from-file.

CSV: one line per partition, `topic,partition,offset`, no header (with a leading `group,`
column when a file holds several groups): what --export prints and --from-file reads.
Kafka reads a file with 4 columns as the grouped form, refuses a negative offset on any
line (whichever group it is for) and says "No reset plan for group G found" when no
line is for the group.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable


class PlanError(ValueError):
    """A plan that cannot be made, said in one sentence (Kafka's own words where the tool has them)."""


# -- Kafka's argument formats ------------------------------------------------------------------------

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})(Z|[+-]\d{2}(?::?\d{2})?)?")
_DURATION = re.compile(r"([-+]?)P(?:([-+]?[0-9]+)D)?"
                       r"(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?",
                       re.IGNORECASE)


def parse_datetime(text: str) -> int:
    """Milliseconds since the epoch of a --to-datetime argument, read as Kafka reads it (UTC without a zone)."""
    m = _DATETIME.fullmatch(text.strip())
    if m is None:
        raise PlanError(f"{text!r} is not a date and time in Kafka's format yyyy-MM-ddTHH:mm:ss.SSS (optionally "
                        "followed by Z or an offset such as +01:00).")
    year, month, day, hour, minute, second, milli = (int(g) for g in m.groups()[:7])
    zone = m.group(8) or "Z"
    if zone == "Z":
        tz = dt.UTC
    else:
        digits = zone[1:].replace(":", "")
        delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        tz = dt.timezone(delta if zone[0] == "+" else -delta)
    try:
        when = dt.datetime(year, month, day, hour, minute, second, milli * 1000, tzinfo=tz)
    except ValueError as exc:
        raise PlanError(f"{text!r} is not a valid date and time: {exc}.") from exc
    return (when - _EPOCH) // dt.timedelta(milliseconds=1)


def format_datetime(ms: int, tz: dt.tzinfo | None = None) -> str:
    """A time in Kafka's --to-datetime format with its zone offset (local time when no zone is given)."""
    when = (_EPOCH + dt.timedelta(milliseconds=ms)).astimezone(tz)
    offset = when.strftime("%z")
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}{offset[:3]}:{offset[3:5]}"


def parse_duration_ms(text: str) -> int:
    """Milliseconds of a --by-duration argument (java.time.Duration.parse: PnDTnHnMn.nS, signs allowed)."""
    m = _DURATION.fullmatch(text.strip())
    if m is None or (m.group(3) is not None and m.group(3).upper() == "T") or \
            not any(m.group(i) for i in (2, 4, 5, 6)):
        raise PlanError(f"{text!r} is not a duration in ISO-8601 form such as PT30M, PT2H or P1DT12H.")
    sign = -1 if m.group(1) == "-" else 1
    days, hours, minutes, seconds = (int(m.group(i) or 0) for i in (2, 4, 5, 6))
    fraction = m.group(7) or ""
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    if (m.group(6) or "").startswith("-"):
        nanos = -nanos
    total_ns = ((days * 86400 + hours * 3600 + minutes * 60 + seconds) * 1_000_000_000 + nanos) * sign
    return total_ns // 1_000_000


# -- CSV in Kafka's format -----------------------------------------------------------------------------

def to_csv(rows: Iterable[tuple[str, int, int | None]], group: str | None = None) -> str:
    """`topic,partition,offset` lines (with `group,` first when a group is given), as --export writes them."""
    prefix = f"{group}," if group is not None else ""
    return "".join(f"{prefix}{t},{p},{o}\n" for t, p, o in rows if o is not None)


def parse_csv(text: str, group: str) -> tuple[tuple[str, int, int], ...]:
    """The rows of a --from-file CSV for one group: `topic,partition,offset`, or `group,topic,partition,offset`
    lines of which only this group's count (the tool's "No reset plan for group G found" when none do)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        raise PlanError("The file holds no offsets (Kafka's format is one topic,partition,offset line per "
                        "partition).")
    with_group = len(lines[0].split(",")) == 4
    out: list[tuple[str, int, int]] = []
    for n, line in enumerate(lines, start=1):
        cols = [c.strip().strip('"') for c in line.split(",")]
        if len(cols) != (4 if with_group else 3):
            raise PlanError(f"Line {n} of the file is not {'group,' if with_group else ''}topic,partition,offset: "
                            f"{line[:80]!r}.")
        row_group, cols = (cols[0], cols[1:]) if with_group else (group, cols)
        try:
            topic, partition, offset = cols[0], int(cols[1]), int(cols[2])
        except ValueError:
            raise PlanError(f"Line {n} of the file has a partition or offset that is not a number: "
                            f"{line[:80]!r}.") from None
        if offset < 0:  # Kafka refuses the whole file (OffsetAndMetadata), whichever group the line is for
            raise PlanError(f"Invalid negative offset: line {n} of the file reads {line[:80]!r}.")
        if row_group == group:
            out.append((topic, partition, offset))
    if not out:
        raise PlanError(f"No reset plan for group {group} found.")
    return tuple(out)
