"""The cluster health verdict: pure rules from partition states to one level and one sentence.

Rules, worst first: no active controller, or any offline partition (no leader:
reads and writes fail) is critical; a partition whose ISR is below its topic's
min.insync.replicas (producers with acks=all are refused) is critical; an
under-replicated partition (ISR shorter than replicas) is a warning; otherwise
healthy. The reason names the count and the first few partitions.
"""

from __future__ import annotations

from collections.abc import Sequence

from workbench.services.model import HealthVerdict, PartitionState

SHOWN = 3


def _names(parts: Sequence[PartitionState]) -> str:
    shown = ", ".join(f"{p.topic}-{p.partition}" for p in parts[:SHOWN])
    more = f" and {len(parts) - SHOWN} more" if len(parts) > SHOWN else ""
    return shown + more


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def verdict(parts: Sequence[PartitionState], min_isr: dict[str, int], brokers: int,
            controller_id: int, total: int | None = None) -> HealthVerdict:
    """`parts` may be every partition, or only those at risk with `total` the number of all partitions."""
    offline = tuple(p for p in parts if p.offline)
    urp = tuple(p for p in parts if p.under_replicated and not p.offline)
    under_min = tuple(p for p in urp if len(p.isr) < min_isr.get(p.topic, 1))
    common = {"under_replicated": urp, "offline": offline, "under_min_isr": under_min}
    if brokers == 0:
        return HealthVerdict("critical", "No broker is registered in the cluster metadata.", **common)
    if controller_id is None or controller_id < 0:
        return HealthVerdict("critical", "The cluster has no active controller: topic and partition changes "
                                         "cannot happen.", **common)
    if offline:
        return HealthVerdict("critical", f"{_plural(len(offline), 'partition')} offline (no leader, so reads and "
                                         f"writes fail): {_names(offline)}.", **common)
    if under_min:
        return HealthVerdict("critical", f"{_plural(len(under_min), 'partition')} below min.insync.replicas "
                                         f"(producers with acks=all are refused): {_names(under_min)}.", **common)
    if urp:
        return HealthVerdict("warning", f"{_plural(len(urp), 'partition')} under-replicated (a replica is out of "
                                        f"sync): {_names(urp)}.", **common)
    count = len(parts) if total is None else total
    return HealthVerdict("healthy", f"All {_plural(count, 'partition')} on {_plural(brokers, 'broker')} "
                                    "have a leader and a full ISR.", **common)
