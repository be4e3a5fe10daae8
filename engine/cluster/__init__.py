"""ZooKeeper mode: the broker as one of a replicated cluster coordinated by a ZooKeeper ensemble (placeholder)."""
