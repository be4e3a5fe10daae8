"""The controller's two state machines, as tables (Kafka's PartitionStateMachine and ReplicaStateMachine).

Each target state lists the states it may be entered from; a change from any other state is
refused and logged, as Kafka does. What a change does (ZooKeeper writes, requests to
brokers) is in engine.cluster.controller.machines.

Partitions:

    target        from                     action
    New           NonExistent              assignment known, nothing written
    Online        New                      state znodes created: leader = first live replica, ISR = live replicas
    Online        Online, Offline          an election (Offline, ControlledShutdown, Preferred strategy)
    Offline       New, Online, Offline     leader lost; nothing written
    NonExistent   Offline                  the topic is being deleted

Replicas:

    target                     from                                     action
    NewReplica                 NonExistentReplica                       LeaderAndIsr(isNew) to it if a leader exists
    OnlineReplica              New, Online, Offline, DeletionIneligible LeaderAndIsr with the current state
    OfflineReplica             New, Online, Offline, DeletionIneligible StopReplica(delete=false); out of the ISR
    ReplicaDeletionStarted     OfflineReplica                           StopReplica(delete=true, epoch -2)
    ReplicaDeletionSuccessful  ReplicaDeletionStarted                   -
    ReplicaDeletionIneligible  OfflineReplica, ReplicaDeletionStarted   (deletion waits for the broker)
    NonExistentReplica         ReplicaDeletionSuccessful                forgotten
"""

from __future__ import annotations

import enum


class PartitionState(enum.Enum):
    NEW = "NewPartition"
    ONLINE = "OnlinePartition"
    OFFLINE = "OfflinePartition"
    NON_EXISTENT = "NonExistentPartition"


class ReplicaState(enum.Enum):
    NEW = "NewReplica"
    ONLINE = "OnlineReplica"
    OFFLINE = "OfflineReplica"
    DELETION_STARTED = "ReplicaDeletionStarted"
    DELETION_SUCCESSFUL = "ReplicaDeletionSuccessful"
    DELETION_INELIGIBLE = "ReplicaDeletionIneligible"
    NON_EXISTENT = "NonExistentReplica"


P, R = PartitionState, ReplicaState

PARTITION_FROM: dict[PartitionState, frozenset[PartitionState]] = {
    P.NEW: frozenset({P.NON_EXISTENT}),
    P.ONLINE: frozenset({P.NEW, P.ONLINE, P.OFFLINE}),
    P.OFFLINE: frozenset({P.NEW, P.ONLINE, P.OFFLINE}),
    P.NON_EXISTENT: frozenset({P.OFFLINE}),
}

REPLICA_FROM: dict[ReplicaState, frozenset[ReplicaState]] = {
    R.NEW: frozenset({R.NON_EXISTENT}),
    R.ONLINE: frozenset({R.NEW, R.ONLINE, R.OFFLINE, R.DELETION_INELIGIBLE}),
    R.OFFLINE: frozenset({R.NEW, R.ONLINE, R.OFFLINE, R.DELETION_INELIGIBLE}),
    R.DELETION_STARTED: frozenset({R.OFFLINE}),
    R.DELETION_SUCCESSFUL: frozenset({R.DELETION_STARTED}),
    R.DELETION_INELIGIBLE: frozenset({R.OFFLINE, R.DELETION_STARTED}),
    R.NON_EXISTENT: frozenset({R.DELETION_SUCCESSFUL}),
}


def partition_change_allowed(current: PartitionState, target: PartitionState) -> bool:
    return current in PARTITION_FROM[target]


def replica_change_allowed(current: ReplicaState, target: ReplicaState) -> bool:
    return current in REPLICA_FROM[target]
