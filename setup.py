"""Packages of the wheel, and the top-level resources/ folder shipped inside it as workbench/resources (where
workbench/resources.py finds it); everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["workbench", "workbench.*", "engine", "engine.*"]), "workbench.resources"],
    package_dir={"workbench.resources": "resources"},
    package_data={"workbench.resources": ["*.svg", "*.desktop", "*.xml", "icons/**/*", "sample-data/*"]},
)
