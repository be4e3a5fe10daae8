"""The plain values cluster services return: topics, partitions, configs, brokers, log dirs, health."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class PartitionState:
    """One partition as metadata describes it, with watermarks and size when they were asked for."""

    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    low: int | None = None
    high: int | None = None
    size: int | None = None
    error: str = ""

    @property
    def offline(self) -> bool:
        return self.leader < 0

    @property
    def under_replicated(self) -> bool:
        return len(self.isr) < len(self.replicas)

    @property
    def messages(self) -> int | None:
        """high - low: the records a consumer can read (exact unless compacted or transactional)."""
        if self.low is None or self.high is None:
            return None
        return max(0, self.high - self.low)


@dataclasses.dataclass(frozen=True, slots=True)
class TopicSummary:
    name: str
    partitions: int
    replication_factor: int
    internal: bool
    under_replicated: int = 0
    offline: int = 0
    error: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class ConfigValue:
    """One config entry; `default` is the value the entry falls back to when the override is removed."""

    name: str
    value: str | None
    source: str
    is_default: bool
    read_only: bool
    sensitive: bool
    default: str | None = None

    @property
    def is_override(self) -> bool:
        return not self.is_default and self.source not in ("DEFAULT_CONFIG", "UNKNOWN_CONFIG")


@dataclasses.dataclass(frozen=True, slots=True)
class BrokerNode:
    id: int
    host: str
    port: int
    rack: str | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclasses.dataclass(frozen=True, slots=True)
class ClusterOverview:
    cluster_id: str | None
    controller_id: int
    brokers: tuple[BrokerNode, ...]
    topics: int
    partitions: int
    note: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class LogDir:
    broker: int
    path: str
    error: str
    size: int
    partitions: int
    total_bytes: int | None = None
    usable_bytes: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class HealthVerdict:
    """One verdict for the cluster: level is healthy, warning, critical or unreachable; reason is a sentence."""

    level: str
    reason: str
    under_replicated: tuple[PartitionState, ...] = ()
    offline: tuple[PartitionState, ...] = ()
    under_min_isr: tuple[PartitionState, ...] = ()
