"""ZooKeeper mode: the broker as one of a replicated cluster coordinated by a ZooKeeper ensemble, shaped as Apache
Kafka 3.9 shapes it with inter.broker.protocol.version=3.9-IV0 (the one level this package follows).

What that level fixes (replication-facts.md, §1-§3):

- znodes as Kafka 3.9 writes them: /brokers/ids/<id> version 5, /brokers/topics/<t> version 3 with topic ids,
  /controller version 2, partition state version 1 (znodes.py);
- the controller's requests at their 3.9 versions: LeaderAndIsr v7, UpdateMetadata v8, StopReplica v4
  (schemas.py, controller/);
- leaders change the ISR through AlterPartition to the controller (IBP >= 2.7-IV2): no leader writes a state
  znode and no /isr_change_notification nodes are made (alter_partition.py);
- followers fetch with Fetch v17 (their id and broker epoch in ReplicaState, KIP-903) and truncate on a
  DivergingEpoch in the fetch response, starting at their log end with LastFetchedEpoch (IBP >= 2.7-IV1;
  fetcher.py);
- producer id blocks come from the controller by AllocateProducerIds (IBP >= 3.0-IV0; producer_ids.py).

node.py joins the cluster (registration, /cluster/id, the controller election); replica_manager.py applies the
controller's requests to the local replicas; controller/ is the controller itself.
"""
