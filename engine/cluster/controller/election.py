"""Leader election, as Kafka's Election.scala: pure functions from assignment, ISR and live brokers.

    strategy             leader                                                     new ISR
    offline, clean       first replica (assignment order) that is live and in the ISR  ISR filtered to live
    offline, unclean     first live replica (only with unclean.leader.election.enable)  [leader], RECOVERING
    controlled shutdown  first live replica in the ISR that is not shutting down       ISR minus shutting down
    preferred            the first replica, if live and in the ISR                     unchanged

None means no replica qualifies: the partition stays offline (leader -1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from engine.cluster.znodes import RECOVERED, RECOVERING


@dataclasses.dataclass(frozen=True)
class Elected:
    leader: int
    isr: tuple[int, ...]
    recovery_state: int = RECOVERED
    unclean: bool = False


def offline(assignment: Sequence[int], isr: Sequence[int], live: Collection[int],
            unclean_allowed: bool) -> Elected | None:
    for r in assignment:
        if r in live and r in isr:
            return Elected(r, tuple(b for b in isr if b in live))
    if unclean_allowed:
        for r in assignment:
            if r in live:
                return Elected(r, (r,), RECOVERING, unclean=True)
    return None


def controlled_shutdown(assignment: Sequence[int], isr: Sequence[int], live_or_shutting: Collection[int],
                        shutting_down: Collection[int]) -> Elected | None:
    for r in assignment:
        if r in live_or_shutting and r in isr and r not in shutting_down:
            return Elected(r, tuple(b for b in isr if b not in shutting_down))
    return None


def preferred(assignment: Sequence[int], isr: Sequence[int], live: Collection[int]) -> Elected | None:
    if assignment and assignment[0] in live and assignment[0] in isr:
        return Elected(assignment[0], tuple(isr))
    return None


def initial(assignment: Sequence[int], live: Collection[int]) -> Elected | None:
    """A new partition: the first live replica leads, every live replica is in the ISR (epoch 0)."""
    alive = tuple(r for r in assignment if r in live)
    return Elected(alive[0], alive) if alive else None
