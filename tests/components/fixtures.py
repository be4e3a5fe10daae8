"""Fixtures that start real components (filled in by the components work)."""
