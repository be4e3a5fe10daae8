"""Fixtures that start real components (filled in by the components work)."""

from tests.components.engine_proc import engine, engine_factory

__all__ = ["engine", "engine_factory"]
