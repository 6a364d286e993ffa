"""SoftCart's file-based systems: the product catalog (JSON documents), daily web-server access
logs (Apache combined format) and search terms (CSV), all generated without a loop per row.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from armazem.simulate.softcart.company import order_days, product_types, stream
from armazem.simulate.softcart.reference import SEARCH_TERMS

CATALOG_FILE = "catalog/electronics.jsonl"
CATALOG_COLLECTION = ("softcart", "catalog")  # database and collection on a MongoDB server
WEBLOG_DIR = "weblogs"
SEARCH_DIR = "searchterms"
REQUESTS_PER_DAY_AT_SCALE_1 = 3_000
SEARCHES_AT_SCALE_1 = 50_000  # over the whole history
USER_AGENTS = np.array([
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/96.0.4664.45 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/15.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/15.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:94.0) Gecko/20100101 Firefox/94.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
])  # fmt: skip
STATIC = np.array(["/static/app.js", "/static/style.css", "/static/logo.png", "/favicon.ico"])


def catalog_documents(seed: int, products: pa.Table) -> list[dict[str, object]]:
    """One document per product; each product type has its own fields, like the real catalog."""
    rng = stream(seed, "catalog")
    types = {t.name: t for _, t in product_types()}
    documents = []
    for product_id, kind, model in zip(
        products["product_id"].to_pylist(),
        products["product_type"].to_pylist(),
        products["model"].to_pylist(),
        strict=True,
    ):
        document: dict[str, object] = {
            "_id": f"{0x5F00_0000 + product_id:08x}{product_id:016x}",
            "product_id": product_id,
            "type": kind,
            "model": model,
        }
        for attribute, choices in types[kind].attributes.items():
            value = choices[rng.integers(0, len(choices))]
            document[attribute] = value.item() if isinstance(value, np.generic) else value
        documents.append(document)
    return documents


def write_catalog(root: Path, documents: list[dict[str, object]]) -> int:
    path = root / CATALOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    tmp.replace(path)
    return len(documents)


def write_catalog_to_mongodb(url: str, documents: list[dict[str, object]]) -> int:
    """Replace the catalog collection on a MongoDB server (services profile)."""
    from armazem.ingest.mongodb import connect

    database, collection = CATALOG_COLLECTION
    client = connect(url)
    try:
        target = client[database][collection]
        target.drop()
        target.insert_many([dict(d) for d in documents])
        target.create_index("type")
    finally:
        client.close()
    return len(documents)


def access_log_lines(
    seed: int, day: date, scale: float, n_products: int, dirty: int = 0
) -> pa.Array:
    """One day of requests in Apache combined format; `dirty` lines are truncated garbage."""
    rng = stream(seed, f"weblog-{day.isoformat()}")
    month_boost = 1.6 if day.month in (11, 12) else 1.0
    n = max(20, rng.poisson(REQUESTS_PER_DAY_AT_SCALE_1 * scale * month_boost))
    ips = _ip_pool(seed, max(50, round(5_000 * scale)))
    activity = 1.0 / np.arange(1, len(ips) + 1) ** 0.9
    ip = ips[rng.choice(len(ips), n, p=activity / activity.sum())]
    seconds = np.sort(rng.integers(0, 86_400, n))
    when = pa.array(np.datetime64(day, "s") + seconds.astype("timedelta64[s]"))
    stamp = pc.strftime(when, format="%d/%b/%Y:%H:%M:%S +0000").to_numpy(zero_copy_only=False)
    kind = rng.choice(5, n, p=[0.35, 0.2, 0.15, 0.1, 0.2])
    product = rng.integers(1, n_products + 1, n).astype(str)
    terms = np.array([t.replace(" ", "+") for t, _ in SEARCH_TERMS])
    path = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3],
        [
            np.char.add("/product/", product),
            np.char.add("/search?q=", terms[rng.integers(0, len(terms), n)]),
            np.array(["/", "/cart", "/checkout", "/account"])[rng.integers(0, 4, n)],
            np.char.add("/api/v1/stock/", product),
        ],
        STATIC[rng.integers(0, len(STATIC), n)],
    )
    method = np.where((path == "/checkout") & (rng.random(n) < 0.5), "POST", "GET")
    status = rng.choice([200, 304, 301, 404, 500], n, p=[0.86, 0.07, 0.02, 0.04, 0.01])
    size = np.where(status == 304, 0, rng.lognormal(8.5, 1.2, n).astype(np.int64))
    referrer = np.where(rng.random(n) < 0.4, '"-"', '"https://softcart.example/"')
    agent = USER_AGENTS[rng.choice(len(USER_AGENTS), n, p=[0.4, 0.2, 0.25, 0.1, 0.05])]
    request = _concat('"', method, " ", path, ' HTTP/1.1"')
    lines = _concat(ip, " - - [", stamp, "] ", request, " ", status.astype(str), " ",
                    size.astype(str), " ", referrer, ' "', agent, '"')  # fmt: skip
    if dirty:
        cut = rng.choice(n, min(dirty, n), replace=False)
        lines[cut] = [line[: len(line) // 3] for line in lines[cut]]
    return pa.array(lines)


def write_access_log(root: Path, day: date, lines: pa.Array) -> int:
    path = root / WEBLOG_DIR / f"access-{day.isoformat()}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines.to_pylist()) + "\n", encoding="utf-8")
    tmp.replace(path)
    return len(lines)


def search_terms(seed: int, start: date, end: date, scale: float, days_total: int) -> pa.Table:
    """Searches typed into the shop between two days, as `day,month,year,searchterm`."""
    rng = stream(seed, f"search-{start.isoformat()}")
    total = SEARCHES_AT_SCALE_1 * scale * ((end - start).days + 1) / days_total
    days = order_days(rng, start, end, total)
    weights = np.array([w for _, w in SEARCH_TERMS])
    term = np.array([t for t, _ in SEARCH_TERMS])[
        rng.choice(len(weights), len(days), p=weights / weights.sum())
    ]
    months = days.astype("datetime64[M]")
    return pa.table(
        {
            "day": pa.array((days - months).astype(int) + 1, pa.int32()),
            "month": pa.array(months.astype(int) % 12 + 1, pa.int32()),
            "year": pa.array(days.astype("datetime64[Y]").astype(int) + 1970, pa.int32()),
            "searchterm": term,
        }
    )


def write_search_terms(root: Path, name: str, table: pa.Table) -> int:
    path = root / SEARCH_DIR / f"searchterms-{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="none"))
    tmp.replace(path)
    return table.num_rows


def _ip_pool(seed: int, n: int) -> np.ndarray:
    rng = stream(seed, "ip-pool")
    octets = rng.integers(1, 255, (n, 4)).astype(str)
    return _concat(octets[:, 0], ".", octets[:, 1], ".", octets[:, 2], ".", octets[:, 3])


def _concat(*parts: np.ndarray | str) -> np.ndarray:
    result = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        result = result + (np.asarray(part, dtype=object) if not isinstance(part, str) else part)
    return result
