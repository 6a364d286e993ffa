"""Keyed pseudonyms for personal data: HMAC-SHA256 of a value under a key only the engine holds.

A plain sha256 of an e-mail is reversed by anyone who hashes a list of addresses; an HMAC is not,
without the key. The key is the `pseudonym_key` setting (ARMAZEM_PSEUDONYM_KEY, or `${VAR}` in
armazem.toml), held in memory. The SQL computes HMAC from the key's two pads, which travel as
query parameters of the statement that uses them: no view, function, table or log of the
warehouse ever holds the key or a pad. That is why, on PostgreSQL, tables with a hashed column
are materialised into the BI schema (a view would have to spell the key out in its definition).
Without a key there are no pseudonyms: the columns declared `hash` are left out, as `drop` ones.
"""

from __future__ import annotations

import hashlib

BLOCK = 64  # SHA-256's block size: HMAC pads the key to it
INNER, OUTER = "pad_inner", "pad_outer"  # the query parameters carrying the pads
# HMAC-SHA256(key, value) = sha256(outer pad || sha256(inner pad || value)), as hex.
POSTGRES_SQL = (
    f"encode(sha256(%({OUTER})s::bytea || sha256(%({INNER})s::bytea || "
    "convert_to({}, 'UTF8'))), 'hex')"
)
DUCKDB_SQL = f"sha256(${OUTER} || unhex(sha256(${INNER} || encode(CAST({{}} AS VARCHAR)))))"
# The same through the dashboards' readers, whose SQL takes `$name` parameters on both engines:
# READER_SQL[True] for PostgreSQL, READER_SQL[False] for DuckDB.
READER_SQL = {
    True: (
        f"encode(sha256(${OUTER}::bytea || sha256(${INNER}::bytea || "
        "convert_to(CAST({} AS text), 'UTF8'))), 'hex')"
    ),
    False: DUCKDB_SQL,
}


def pads(key: str) -> dict[str, bytes]:
    """The HMAC inner and outer pads of `key`, as query parameters (RFC 2104)."""
    secret = key.encode("utf-8")
    if len(secret) > BLOCK:
        secret = hashlib.sha256(secret).digest()
    secret = secret.ljust(BLOCK, b"\0")
    return {INNER: bytes(b ^ 0x36 for b in secret), OUTER: bytes(b ^ 0x5C for b in secret)}
