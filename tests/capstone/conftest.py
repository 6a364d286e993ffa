"""The MySQL/MariaDB server the capstone modules use, reachable or a clear failure."""

from __future__ import annotations

import pymysql
import pytest

from armazem.capstone import oltp
from armazem.settings import Settings


def reachable_mysql(settings: Settings) -> oltp.Server:
    """The settings' MySQL server, or a test failure that says how to start it."""
    server = oltp.parse_server(settings.mysql_url)
    problem = None
    try:
        pymysql.connect(
            host=server.host,
            port=server.port,
            user=server.user,
            password=server.password,
            connect_timeout=5,
        ).close()
    except pymysql.MySQLError as exc:
        problem = exc
    if problem is not None:  # fail outside the except block: one clean message, no chained trace
        pytest.fail(
            f"MariaDB/MySQL at {server.safe_url} is unreachable ({problem}); start it with "
            f"`{oltp.START_MARIADB}` or set ARMAZEM_MYSQL_URL",
            pytrace=False,
        )
    return server
