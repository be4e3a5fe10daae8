"""The one routing table: API key -> handler and the versions advertised in ApiVersions.

ApiVersions is answered from this table, so what is advertised cannot drift from
what is implemented. Every API takes every version Kafka 3.9 accepts (the last
release with ZooKeeper): versions kio no longer has are derived in
engine.protocol.legacy_schemas, and Produce v0-2 / Fetch v0-3 convert between the
old message format and the log's v2 batches as Kafka 3.9 does. The requests between
brokers of a ZooKeeper-mode cluster take the versions inter-broker protocol 3.9-IV0 sends
(engine.cluster.schemas).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from engine.api import (
    acls,
    api_versions,
    cluster_admin,
    configs,
    fetch,
    group_admin,
    group_membership,
    group_offsets,
    init_producer_id,
    inter_broker,
    list_offsets,
    metadata,
    offset_for_leader_epoch,
    produce,
    sasl,
    scram_users,
    topics_admin,
    transactions,
)
from engine.api.context import RequestContext
from engine.protocol.fetch_response import encode_fetch_response

Handler = Callable[[RequestContext, Any], Awaitable[dict[str, Any] | None]]
Encoder = Callable[[int, int, dict[str, Any]], list[Any]]


@dataclasses.dataclass(frozen=True)
class Route:
    api_key: int
    name: str
    min_version: int
    max_version: int
    handler: Handler
    encoder: Encoder | None = None  # a response encoder of its own (Fetch, for sendfile); kio otherwise


ROUTES: tuple[Route, ...] = (
    Route(0, "Produce", 0, 11, produce.handle),
    Route(1, "Fetch", 0, 17, fetch.handle, encode_fetch_response),
    Route(2, "ListOffsets", 0, 9, list_offsets.handle),
    Route(3, "Metadata", 0, 12, metadata.handle),
    Route(8, "OffsetCommit", 0, 9, group_offsets.offset_commit),
    Route(9, "OffsetFetch", 0, 9, group_offsets.offset_fetch),
    Route(10, "FindCoordinator", 0, 6, group_membership.find_coordinator),
    Route(11, "JoinGroup", 0, 9, group_membership.join_group),
    Route(12, "Heartbeat", 0, 4, group_membership.heartbeat),
    Route(13, "LeaveGroup", 0, 5, group_membership.leave_group),
    Route(14, "SyncGroup", 0, 5, group_membership.sync_group),
    Route(15, "DescribeGroups", 0, 5, group_admin.describe_groups),
    Route(16, "ListGroups", 0, 5, group_admin.list_groups),
    Route(18, "ApiVersions", 0, 4, api_versions.handle),
    Route(19, "CreateTopics", 0, 7, topics_admin.create_topics),
    Route(20, "DeleteTopics", 0, 6, topics_admin.delete_topics),
    Route(22, "InitProducerId", 0, 5, init_producer_id.handle),
    Route(23, "OffsetForLeaderEpoch", 0, 4, offset_for_leader_epoch.handle),
    Route(21, "DeleteRecords", 0, 2, cluster_admin.delete_records),
    Route(32, "DescribeConfigs", 0, 4, configs.describe_configs),
    Route(33, "AlterConfigs", 0, 2, configs.alter_configs),
    Route(35, "DescribeLogDirs", 0, 4, cluster_admin.describe_log_dirs),
    Route(37, "CreatePartitions", 0, 3, topics_admin.create_partitions),
    Route(42, "DeleteGroups", 0, 2, group_admin.delete_groups),
    Route(44, "IncrementalAlterConfigs", 0, 1, configs.incremental_alter_configs),
    Route(24, "AddPartitionsToTxn", 0, 5, transactions.add_partitions_to_txn),
    Route(25, "AddOffsetsToTxn", 0, 4, transactions.add_offsets_to_txn),
    Route(26, "EndTxn", 0, 4, transactions.end_txn),
    Route(28, "TxnOffsetCommit", 0, 4, transactions.txn_offset_commit),
    Route(47, "OffsetDelete", 0, 0, group_admin.offset_delete),
    Route(60, "DescribeCluster", 0, 1, cluster_admin.describe_cluster),
    # security (engine/security): SASL authentication, ACLs, SCRAM users
    Route(17, "SaslHandshake", 0, 1, sasl.handshake),
    Route(36, "SaslAuthenticate", 0, 2, sasl.authenticate),
    Route(29, "DescribeAcls", 0, 3, acls.describe_acls),
    Route(30, "CreateAcls", 0, 3, acls.create_acls),
    Route(31, "DeleteAcls", 0, 3, acls.delete_acls),
    Route(50, "DescribeUserScramCredentials", 0, 0, scram_users.describe),
    Route(51, "AlterUserScramCredentials", 0, 0, scram_users.alter),
    Route(48, "DescribeClientQuotas", 0, 1, scram_users.describe_client_quotas),
    Route(61, "DescribeProducers", 0, 0, transactions.describe_producers),
    Route(65, "DescribeTransactions", 0, 0, transactions.describe_transactions),
    Route(66, "ListTransactions", 0, 1, transactions.list_transactions),
    # between brokers in ZooKeeper mode: the one version inter.broker.protocol.version 3.9-IV0 sends
    Route(4, "LeaderAndIsr", 7, 7, inter_broker.leader_and_isr),
    Route(5, "StopReplica", 4, 4, inter_broker.stop_replica),
    Route(6, "UpdateMetadata", 8, 8, inter_broker.update_metadata),
    Route(7, "ControlledShutdown", 3, 3, inter_broker.controlled_shutdown),
    Route(56, "AlterPartition", 2, 3, inter_broker.alter_partition),
    Route(67, "AllocateProducerIds", 0, 0, inter_broker.allocate_producer_ids),
)

BY_KEY = {r.api_key: r for r in ROUTES}
API_VERSIONS_KEY = 18


def api_version_list() -> list[dict[str, int]]:
    return [{"api_key": r.api_key, "min_version": r.min_version, "max_version": r.max_version}
            for r in sorted(ROUTES, key=lambda r: r.api_key)]
