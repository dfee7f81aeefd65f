"""Private servers for fault tests (see servers.py), one each per test module.

A test that stops one starts it again before it ends (``finally``), so the next test of
the module finds it running.
"""

import pytest

from tests.faults.servers import PrivatePostgres, PrivateRedis, private_postgres, private_redis


@pytest.fixture(scope="module")
def postgres_server() -> PrivatePostgres:
    with private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def redis_server() -> PrivateRedis:
    with private_redis() as server:
        yield server
