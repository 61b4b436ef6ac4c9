"""Fixtures for the bot's tests that need a real Redis (the lock store of several Rasa workers)."""
from __future__ import annotations

import itertools

import pytest

_dbs = itertools.count(1)


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server on 127.0.0.1, installed if missing. It fails, never skips."""
    from tests import redis_server as redis_module

    try:
        server, problem = redis_module.start_server(), ""
    except redis_module.RedisError as error:
        server, problem = None, str(error)
    if server is None:
        pytest.fail(f"Redis for the tests could not be set up: {problem}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def redis_db(redis_server):
    """A database number of its own on the session's Redis, emptied after the test."""
    db = next(_dbs) % 64
    yield db
    redis_server.client(db).flushdb()
