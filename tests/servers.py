"""Servers the tests start themselves. `mongo_url` is one private MongoDB-protocol server per test
session; it fails (never skips) when the server cannot start: a skipped check reads as a pass.

Use it from a test module or conftest.py with `from tests.servers import mongo_url  # noqa: F401`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from armazem.errors import ArmazemError
from armazem.servers.mongo import local_mongo


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The `mongodb://127.0.0.1:PORT` URL of a server that lives as long as the test session."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(local_mongo(tmp_path_factory.mktemp("mongo")))
        except ArmazemError as exc:
            problem: ArmazemError | None = exc
        else:
            problem = None
        if problem is not None:  # fail outside the except block: one clean message, no chain
            pytest.fail(
                f"cannot start the test MongoDB server: {problem.problem}; to get it: "
                f"{problem.fix} (`.venv/bin/pip install pymongo secantusdb`)",
                pytrace=False,
            )
        yield url
