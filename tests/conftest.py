"""Fixtures for every test: the stores to run against (SQLite and a private PostgreSQL).

Tests that use a store take ``database`` and run once per store: ``sqlite`` (the file in
the data folder) and ``postgres`` (a fresh database and vault database on a throwaway
cluster this session starts and stops). ``RCM_TEST_STORES=sqlite`` runs SQLite only, for a
quick loop; CI runs both. Tests that look beneath the store at SQLite files are marked
``sqlite_only``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.pgcluster import Cluster, start_cluster

STORES = [s.strip() for s in os.environ.get("RCM_TEST_STORES", "sqlite,postgres").split(",")]


@dataclass(frozen=True, slots=True)
class Database:
    """Where a test's store lives: None URLs for the SQLite file in the data folder."""

    kind: str
    url: str | None = None
    vault_url: str | None = None
    cluster: Cluster | None = None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: looks beneath the store at SQLite files")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=STORES)
def database(request: pytest.FixtureRequest) -> Database:
    if request.param == "sqlite":
        return Database("sqlite")
    if request.node.get_closest_marker("sqlite_only") is not None:
        pytest.skip("looks beneath the store at SQLite files")
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    url, vault_url = cluster.create_database()
    return Database("postgres", url, vault_url, cluster)
