"""Token-bucket pacing: at most `rate` messages a second, with a small burst, the clock passed in.

A bucket holds up to `burst` tokens and fills at `rate` tokens a second; sending one
message takes one token. `delay(now)` takes a token and answers 0 when one is there,
or answers how long to wait (taking nothing): until the next token, but never less
than MIN_WAIT. Because tokens accrue from elapsed time, a sender that sleeps longer
catches up within the burst (1/100 of a second's worth, at least one token), so the
achieved rate stays the asked rate while a sender at 10,000/s wakes every 5 ms, not
once per message. MIN_WAIT is half the burst time, so a wait never overflows it.
"""

from __future__ import annotations

BURST_SECONDS = 0.01
MIN_WAIT = BURST_SECONDS / 2


class TokenBucket:
    def __init__(self, rate: float, now: float, burst: float | None = None) -> None:
        if rate <= 0:
            raise ValueError("a rate is a positive number of messages a second")
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate * BURST_SECONDS)
        self.tokens = 1.0  # the first message goes at once; the rest follow the rate
        self.updated = now

    def delay(self, now: float) -> float:
        """0 after taking a token, else the seconds until one is there."""
        if now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return max(MIN_WAIT, (1.0 - self.tokens) / self.rate)
