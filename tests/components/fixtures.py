"""Fixtures that start real components (filled in by the components work)."""

from tests.components.engine_proc import engine, engine_factory
from tests.components.kafka_tools import kafka_cli

__all__ = ["engine", "engine_factory", "kafka_cli"]
