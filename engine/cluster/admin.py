"""Topic administration in ZooKeeper mode (Kafka's ZkAdminManager and AdminZkClient): any broker writes the
znodes, the controller does the rest.

- Create: replicas assigned over the live brokers by Kafka's AdminUtils.assignReplicasToBrokers
  (no racks), /config/topics/<t> written first, then /brokers/topics/<t> with a new topic id;
  the answer waits (up to the request's timeout) until the metadata shows a leader for every
  partition. RF above the live brokers: INVALID_REPLICATION_FACTOR, "Replication factor: R
  larger than available brokers: N.".
- Delete: /admin/delete_topics/<t>; the answer waits until the topic is gone from the metadata.
- More partitions: the topic znode rewritten with the new partitions, assigned from partition
  0's first replica on (AdminZkClient.addPartitions).
- Configs: /config/topics/<t> and a /config/changes notification (engine.cluster.topic_configs).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kazoo.exceptions import NodeExistsError
from kio.schema.errors import ErrorCode

from engine.broker import topic_name_problem
from engine.cluster import znodes as Z
from engine.config import validate_topic_configs

if TYPE_CHECKING:
    from engine.cluster.node import ZkNode


class AdminError(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def assign_replicas(brokers: Sequence[int], partitions: int, replication_factor: int, fixed_start: int = -1,
                    start_partition: int = 0, rng: random.Random | None = None) -> dict[int, list[int]]:
    """AdminUtils.assignReplicasToBrokers without racks: partition p's first replica round-robins from a start
    index, the others follow at a shift that grows every len(brokers) partitions."""
    n = len(brokers)
    if replication_factor <= 0:
        raise AdminError(ErrorCode.invalid_replication_factor, "Replication factor must be larger than 0.")
    if replication_factor > n:
        raise AdminError(ErrorCode.invalid_replication_factor,
                         f"Replication factor: {replication_factor} larger than available brokers: {n}.")
    rng = rng or random.Random()
    start_index = fixed_start if fixed_start >= 0 else rng.randrange(n)
    shift = fixed_start if fixed_start >= 0 else rng.randrange(n)
    current = start_partition
    out: dict[int, list[int]] = {}
    for _ in range(partitions):
        if current > 0 and current % n == 0:
            shift += 1
        first = (current + start_index) % n
        replicas = [brokers[first]]
        for j in range(replication_factor - 1):
            replicas.append(brokers[(first + 1 + (shift + j) % (n - 1)) % n])
        out[current] = replicas
        current += 1
    return out


class ClusterAdmin:
    def __init__(self, node: ZkNode) -> None:
        self.node = node

    @property
    def live_brokers(self) -> list[int]:
        return sorted(self.node.replicas.metadata.brokers)

    async def create_topic(self, name: str, partitions: int, replication_factor: int,
                           configs: list[tuple[str, str | None]], assignment: dict[int, list[int]] | None,
                           validate_only: bool) -> tuple[uuid.UUID, int, int]:
        zk = self.node.zk
        broker = self.node.broker
        cfg = broker.config
        problem = topic_name_problem(name)
        if problem:
            raise AdminError(ErrorCode.invalid_topic_exception, problem)
        existing = await zk.get_children(Z.BROKER_TOPICS) or []
        if name in existing:
            raise AdminError(ErrorCode.topic_already_exists, f"Topic '{name}' already exists.")
        collision = name.replace(".", "_")
        for other in existing:
            if other.replace(".", "_") == collision:
                raise AdminError(ErrorCode.invalid_topic_exception,
                                 f"Topic '{name}' collides with existing topic: {other}")
        if await zk.exists(Z.delete_topic_path(name)) is not None:
            raise AdminError(ErrorCode.topic_already_exists, f"Topic '{name}' is marked for deletion.")
        parsed, err = validate_topic_configs(configs)
        if err:
            raise AdminError(ErrorCode.invalid_config, err)
        if assignment is None:
            if partitions == -1:
                partitions = int(cfg["num.partitions"])
            if replication_factor == -1:
                replication_factor = int(cfg["default.replication.factor"])
            if partitions <= 0:
                raise AdminError(ErrorCode.invalid_partitions, "Number of partitions must be larger than 0.")
            assignment = assign_replicas(self.live_brokers, partitions, replication_factor)
        else:
            _check_assignment(assignment)
            partitions, replication_factor = len(assignment), len(assignment[0])
        if validate_only:
            return uuid.UUID(int=0), partitions, replication_factor
        topic_id = uuid.uuid4()
        values = {k: str(v) for k, v in configs if v is not None}
        del parsed
        config_path = Z.topic_config_path(name)
        if not await zk.create_if_absent(config_path, Z.config_data(values)):
            await zk.set(config_path, Z.config_data(values))
        try:
            await zk.create(Z.topic_path(name), Z.topic_data(assignment, topic_id))
        except NodeExistsError:
            raise AdminError(ErrorCode.topic_already_exists, f"Topic '{name}' already exists.") from None
        self.node.configs.apply(name, values)
        return topic_id, partitions, replication_factor

    async def wait_for_leaders(self, name: str, partitions: int, timeout_s: float) -> bool:
        cache = self.node.replicas.metadata

        def ready() -> bool:
            parts = cache.partitions.get(name, {})
            return len(parts) >= partitions and all(p.leader >= 0 for p in parts.values())
        return await self.node.replicas.wait_for_metadata(ready, timeout_s)

    async def delete_topic(self, name: str) -> None:
        zk = self.node.zk
        if not self.node.broker.config["delete.topic.enable"]:
            raise AdminError(ErrorCode.topic_deletion_disabled, "Topic deletion is disabled.")
        if await zk.exists(Z.topic_path(name)) is None:
            raise AdminError(ErrorCode.unknown_topic_or_partition, "This server does not host this topic-partition.")
        await zk.create_if_absent(Z.delete_topic_path(name))

    async def wait_for_deletion(self, name: str, timeout_s: float) -> bool:
        cache = self.node.replicas.metadata
        return await self.node.replicas.wait_for_metadata(lambda: not cache.contains(name), timeout_s)

    async def create_partitions(self, name: str, count: int, assignment: list[list[int]] | None,
                                validate_only: bool) -> None:
        zk = self.node.zk
        got = await zk.get(Z.topic_path(name))
        if got is None or await zk.exists(Z.delete_topic_path(name)) is not None:
            raise AdminError(ErrorCode.unknown_topic_or_partition, f"The topic '{name}' does not exist.")
        current = Z.parse_topic(name, got[0])
        have = len(current.partitions)
        if count < have:
            raise AdminError(ErrorCode.invalid_partitions,
                             f"Topic currently has {have} partitions, which is higher than the requested {count}.")
        if count == have:
            raise AdminError(ErrorCode.invalid_partitions, f"Topic already has {have} partitions.")
        rf = len(current.partitions.get(0, [])) or 1
        if assignment:
            new = {have + i: list(r) for i, r in enumerate(assignment)}
            if len(new) != count - have or any(len(r) != rf or len(set(r)) != rf for r in new.values()):
                raise AdminError(ErrorCode.invalid_replica_assignment,
                                 f"Increasing the number of partitions by {count - have} needs as many assignments "
                                 f"of {rf} distinct brokers")
            unknown = {b for r in new.values() for b in r} - set(self.live_brokers)
            if unknown:
                raise AdminError(ErrorCode.invalid_replica_assignment, f"Unknown broker(s) in assignment: {unknown}")
        else:
            brokers = self.live_brokers
            first = current.partitions.get(0, [brokers[0]])[0]
            start = next((i for i, b in enumerate(brokers) if b >= first), 0)
            new = assign_replicas(brokers, count - have, rf, fixed_start=start, start_partition=have)
        if validate_only:
            return
        merged = {**current.partitions, **new}
        await zk.set(Z.topic_path(name), Z.topic_data(merged, current.topic_id), got[1].version)

    async def alter_topic_configs(self, name: str, configs: dict[str, str], validate_only: bool) -> None:
        _parsed, err = validate_topic_configs(list(configs.items()))
        if err:
            raise AdminError(ErrorCode.invalid_config, err)
        if validate_only:
            return
        await self.node.configs.write(name, configs)

    async def ensure_internal_topic(self, name: str, partitions: int, replication_factor: int,
                                    configs: dict[str, str]) -> ErrorCode:
        """__consumer_offsets / __transaction_state: created on first use when enough brokers are alive."""
        cache = self.node.replicas.metadata
        if cache.contains(name):
            return ErrorCode.none
        if len(self.live_brokers) < replication_factor:
            return ErrorCode.coordinator_not_available
        try:
            await self.create_topic(name, partitions, replication_factor, list(configs.items()), None, False)
        except AdminError as exc:
            if exc.code is not ErrorCode.topic_already_exists:
                return exc.code
        return ErrorCode.coordinator_not_available


def _check_assignment(assignment: dict[int, list[int]]) -> None:
    if sorted(assignment) != list(range(len(assignment))):
        raise AdminError(ErrorCode.invalid_replica_assignment, "Partitions must be numbered 0 to n-1.")
    sizes = {len(r) for r in assignment.values()}
    if len(sizes) != 1:
        raise AdminError(ErrorCode.invalid_replica_assignment,
                         "All partitions should have the same number of replicas.")
    for p, r in assignment.items():
        if len(set(r)) != len(r):
            raise AdminError(ErrorCode.invalid_replica_assignment,
                             f"Duplicate replica assignment found: {p} -> {r}")


def topic_errors(exc: AdminError) -> dict[str, Any]:
    return {"error_code": exc.code, "error_message": exc.message}
