"""TechCo's fixed facts: its calendar, organisation, job ladder, products and the random streams
every part draws from."""

from __future__ import annotations

import zlib
from datetime import date

import numpy as np

HISTORY_START = date(2023, 1, 1)
HISTORY_END = date(2025, 12, 31)  # where `create` leaves the company
HORIZON_END = date(2026, 12, 31)  # the furthest `advance` can move it
EMPLOYEES_AT_SCALE_1 = 800  # headcount at the end of the history
ANNUAL_EXIT_RATE = 0.12

# department_id, name, parent, share of the workforce, job family
DEPARTMENTS = [
    (1, "Executive", None, 0.02, "management"),
    (2, "Engineering", 1, 0.03, "engineering"),
    (3, "Platform", 2, 0.17, "engineering"),
    (4, "Product Engineering", 2, 0.30, "engineering"),
    (5, "Project Management", 1, 0.08, "delivery"),
    (6, "Customer Support", 1, 0.18, "support"),
    (7, "People", 1, 0.05, "people"),
    (8, "Finance", 1, 0.05, "finance"),
    (9, "Sales", 1, 0.12, "sales"),
]
# A department renamed during the history: (department_id, old name, renamed on).
RENAMED = (6, "Customer Care", date(2024, 7, 1))
ENGINEERING_DEPARTMENTS = (3, 4)

# Job ladder per family: level 1..4 titles and the annual salary band of level 1.
FAMILIES = {
    "management": (["Director", "Vice President", "Chief Officer", "Chief Executive"], 150_000),
    "engineering": (
        ["Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager"],
        70_000,
    ),
    "delivery": (
        ["Project Coordinator", "Project Manager", "Senior Project Manager", "Head of Delivery"],
        55_000,
    ),
    "support": (
        ["Support Agent", "Senior Support Agent", "Support Lead", "Head of Support"],
        38_000,
    ),
    "people": (
        ["HR Generalist", "HR Business Partner", "Senior HR Partner", "Head of People"],
        45_000,
    ),
    "finance": (["Accountant", "Senior Accountant", "Controller", "Head of Finance"], 50_000),
    "sales": (
        ["Account Executive", "Senior Account Executive", "Sales Lead", "Head of Sales"],
        48_000,
    ),
}
LEVEL_STEP = 1.35  # each level's band starts this much above the one below

FIRST_NAMES = np.array(
    "ana bruno carla diego elena felix gabriel helena igor julia kenji lara marco nadia oscar "
    "paula rafael sofia tiago ursula vitor wanda xavier yara zeca beatriz caio dora enzo".split()
)
LAST_NAMES = np.array(
    "silva souza costa oliveira pereira almeida ferreira rodrigues lima gomes ribeiro martins "
    "carvalho rocha barbosa moreira".split()
)

# Public holidays the support team's business-hours schedule observes (as in Brazil, where the
# company sits): fixed-date ones each year.
FIXED_HOLIDAYS = [(1, 1), (4, 21), (5, 1), (9, 7), (10, 12), (11, 2), (11, 15), (12, 25)]
SUPPORT_TIMEZONE = "America/New_York"  # the support schedule follows its customers' clock


def stream(seed: int, part: str) -> np.random.Generator:
    """An independent, reproducible random stream for one part of the company."""
    return np.random.default_rng([seed, zlib.crc32(f"techco-{part}".encode())])


def days(start: date, end: date) -> np.ndarray:
    """Every day from start to end inclusive, as datetime64[D]."""
    return np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)


def weekday(day: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday."""
    return (day.astype("datetime64[D]").astype(np.int64) + 3) % 7


def as_seconds(day: np.ndarray) -> np.ndarray:
    return day.astype("datetime64[s]")
