"""Every request version that only Kafka 3.9 still has (kio lacks them) answered by a running engine: the request
encoded from the derived schema, sent over a socket, the response decoded with the version's schema."""

from __future__ import annotations

import io
import socket
import struct
from typing import Any

from kio.serial import entity_reader, entity_writer

from engine.protocol.codec import build, request_class, response_class
from tests.engine.conformance import messages
from tests.engine.test_client_confluent import create_topic, produce


def call(bootstrap: str, api_key: int, version: int, body: dict[str, Any]) -> Any:
    cls = request_class(api_key, version)
    buf = io.BytesIO()
    buf.write(struct.pack(">hhih", api_key, version, 7, 6) + b"legacy")
    entity_writer(cls)(buf, build(cls, body))
    payload = buf.getvalue()
    host, _, port = bootstrap.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(struct.pack(">i", len(payload)) + payload)
        head = b""
        while len(head) < 4:  # bounded: recv returns data, b"" at EOF, or times out
            chunk = s.recv(4 - len(head))
            assert chunk, "the broker closed the connection"
            head += chunk
        (size,) = struct.unpack(">i", head)
        data = b""
        while len(data) < size:
            chunk = s.recv(size - len(data))
            assert chunk, "the broker closed the connection"
            data += chunk
    assert struct.unpack_from(">i", data)[0] == 7
    response, _ = entity_reader(response_class(api_key, version))(data, 4)
    return response


def test_admin_and_group_versions_removed_in_kafka_4(shared_engine: Any) -> None:
    b = shared_engine.bootstrap
    topic = "legacy-requests"
    create_topic(b, topic, partitions=2)
    produce(b, topic, messages("none", 5), "none")
    # ListOffsets v0: the old-style list of offsets, newest first
    r = call(b, 2, 0, {"replica_id": -1, "topics": [{"name": topic, "partitions": [
        {"partition_index": 0, "timestamp": -1, "max_num_offsets": 5},
        {"partition_index": 1, "timestamp": -2, "max_num_offsets": 1}]}]})
    p0, p1 = r.topics[0].partitions
    assert list(p0.old_style_offsets) == [5, 0] and list(p1.old_style_offsets) == [0]
    # OffsetCommit v0 and v1, read back with OffsetFetch v0
    for version, offset in ((0, 2), (1, 3)):
        part: dict[str, Any] = {"partition_index": 0, "committed_offset": offset, "committed_metadata": "m"}
        if version == 1:
            part["commit_timestamp"] = -1
        r = call(b, 8, version, {"group_id": "legacy-g", "generation_id_or_member_epoch": -1, "member_id": "",
                                 "topics": [{"name": topic, "partitions": [part]}]})
        assert r.topics[0].partitions[0].error_code == 0
        r = call(b, 9, 0, {"group_id": "legacy-g", "topics": [{"name": topic, "partition_indexes": [0]}]})
        assert r.topics[0].partitions[0].committed_offset == offset
    # CreateTopics v0 and v1 (validate_only), DeleteTopics v0
    r = call(b, 19, 1, {"topics": [{"name": "legacy-new", "num_partitions": 1, "replication_factor": 1,
                                    "assignments": [], "configs": []}], "timeout": 10_000, "validate_only": True})
    assert r.topics[0].error_code == 0 and r.topics[0].error_message is None
    r = call(b, 19, 0, {"topics": [{"name": "legacy-new", "num_partitions": 1, "replication_factor": 1,
                                    "assignments": [], "configs": []}], "timeout": 10_000})
    assert r.topics[0].error_code == 0
    r = call(b, 20, 0, {"topic_names": ["legacy-new"], "timeout": 10_000})
    assert r.responses[0].error_code == 0
    # OffsetForLeaderEpoch v0 and v1
    for version in (0, 1):
        r = call(b, 23, version, {"topics": [{"topic": topic, "partitions": [{"partition": 0, "leader_epoch": 0}]}]})
        assert r.topics[0].partitions[0].end_offset == 5
    # DescribeConfigs v0: is_default instead of a config source
    r = call(b, 32, 0, {"resources": [{"resource_type": 2, "resource_name": topic,
                                       "configuration_keys": ["retention.ms", "cleanup.policy"]}]})
    configs = {c.name: c for c in r.results[0].configs}
    assert configs["cleanup.policy"].value == "delete" and configs["cleanup.policy"].is_default
    # DescribeLogDirs v0
    r = call(b, 35, 0, {"topics": [{"topic": topic, "partitions": [0, 1]}]})
    assert {p.partition_index for t in r.results[0].topics for p in t.partitions} == {0, 1}
