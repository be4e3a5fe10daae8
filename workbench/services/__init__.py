"""Cluster services: admin, ZooKeeper browser, sample data. No widgets; each call awaited, each with a timeout."""
