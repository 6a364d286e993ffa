"""TechCo's customers and projects: shared by the tracker (a project per Jira project), the
ledger (invoices and costs tagged by project) and the helpdesk (tickets from customers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from armazem.simulate.techco.reference import (
    EMPLOYEES_AT_SCALE_1,
    ENGINEERING_DEPARTMENTS,
    HISTORY_START,
    HORIZON_END,
    stream,
)
from armazem.simulate.techco.tables import texts

WORDS = np.array(
    "acme boreal cedro delta estrela fenix granito horizonte iris jade lumen marea norte orion "
    "prisma quartzo rio solar terra umbra vale zenite".split()
)
SUFFIXES = np.array(["Ltda", "SA", "Group", "Labs", "Systems", "Retail"])
FEE_PER_EMPLOYEE = 8_500  # monthly revenue per employee the client projects bring in
PROJECT_WORDS = np.array(
    "Atlas Beacon Comet Drift Ember Falcon Glacier Harbor Ion Juniper Kite Lotus Mosaic Nova "
    "Onyx Pulse Quill Relay Summit Tide Umbra Vertex Willow Xenon Yield Zephyr".split()
)


@dataclass(frozen=True)
class Portfolio:
    customer_id: np.ndarray
    customer_name: np.ndarray
    customer_since: np.ndarray  # datetime64[D]
    project_id: np.ndarray
    project_key: np.ndarray
    project_name: np.ndarray
    project_customer: np.ndarray  # customer_id, 0 for an internal project
    project_department: np.ndarray
    project_start: np.ndarray
    project_end: np.ndarray  # NaT: still running at the horizon
    monthly_fee: np.ndarray  # what a client project invoices per month


def portfolio(seed: int, scale: float) -> Portfolio:
    rng = stream(seed, "portfolio")
    n_customers = max(8, round(120 * scale))
    start, horizon = np.datetime64(HISTORY_START, "D"), np.datetime64(HORIZON_END, "D")
    span = int((horizon - start).astype(int))
    customer_ids = np.arange(1, n_customers + 1)
    names = texts(
        np.char.capitalize(WORDS[rng.integers(0, len(WORDS), n_customers)]),
        " ",
        SUFFIXES[rng.integers(0, len(SUFFIXES), n_customers)],
        " ",
        customer_ids,
    )
    since = start - 400 + rng.integers(0, span, n_customers)
    n_projects = max(6, round(40 * scale**0.5))
    pid = np.arange(1, n_projects + 1)
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    keys = texts(
        letters[rng.integers(0, 24, n_projects)], letters[rng.integers(0, 24, n_projects)], pid
    )
    internal = rng.random(n_projects) < 0.25
    customer = np.where(internal, 0, rng.integers(1, n_customers + 1, n_projects))
    p_start = start - 365 + rng.integers(0, span - 60, n_projects)
    p_start = np.maximum(p_start, np.where(customer > 0, since[customer - 1], p_start))
    length = rng.integers(180, 900, n_projects)
    p_end = p_start + length
    p_end[p_end > horizon] = np.datetime64("NaT")
    # Fees that pay for the company with a margin: spread over the client projects that run in
    # an average month of the horizon.
    months = (horizon - start).astype(int) / 30.44
    overlap = np.minimum(np.where(np.isnat(p_end), horizon, p_end), horizon) - np.maximum(
        p_start, start
    )
    running = max(
        1.0, float(np.clip(overlap.astype(int), 0, None)[customer > 0].sum()) / 30.44 / months
    )
    fee = FEE_PER_EMPLOYEE * EMPLOYEES_AT_SCALE_1 * scale / running
    return Portfolio(
        customer_ids,
        names,
        since,
        pid + 10_000,  # the tracker's project ids, which the ledger's tags use too
        keys,
        texts(PROJECT_WORDS[(pid - 1) % len(PROJECT_WORDS)], " ", (pid - 1) // 26 + 1),
        customer,
        np.array(ENGINEERING_DEPARTMENTS)[rng.integers(0, 2, n_projects)],
        p_start,
        p_end,
        np.where(internal, 0.0, np.round(rng.uniform(0.6, 1.4, n_projects) * fee, -2)),
    )


def active_in(p: Portfolio, first_day: np.datetime64, last_day: np.datetime64) -> np.ndarray:
    """Which projects run at some point between two days."""
    ends = np.where(np.isnat(p.project_end), np.datetime64(HORIZON_END, "D"), p.project_end)
    return (p.project_start <= last_day) & (ends >= first_day)
