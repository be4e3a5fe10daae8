"""Start-up times of the components this pytest session started, summarised at the end of the run."""

from __future__ import annotations

import dataclasses
import statistics

import pytest


@dataclasses.dataclass(frozen=True)
class Started:
    name: str
    version: str
    seconds: float


STARTED: list[Started] = []


def record(name: str, version: str, seconds: float) -> None:
    STARTED.append(Started(name, version, seconds))


def summary_lines() -> list[str]:
    by_name: dict[tuple[str, str], list[float]] = {}
    for s in STARTED:
        by_name.setdefault((s.name, s.version), []).append(s.seconds)
    lines = []
    for (name, version), times in by_name.items():
        if len(times) == 1:
            lines.append(f"{name} {version}: ready in {times[0]:.2f} s")
        else:
            lines.append(f"{name} {version}: started {len(times)} times, ready in {min(times):.2f} s min, "
                         f"{statistics.median(times):.2f} s median, {max(times):.2f} s max")
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = summary_lines()
    if lines:
        terminalreporter.write_sep("-", "component start-up")
        for line in lines:
            terminalreporter.write_line(line)
