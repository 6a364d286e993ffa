"""HR: TechCo's people system (departments, job profiles, workers, employments, positions,
salaries), generated for the whole horizon at once and cut at the day the company has reached.

Conventions the marts rely on: an employment's `termination_date` is its last day worked, so a
worker is employed on day d when hire_date <= d and (termination_date is null or d <=
termination_date). A position or salary row holds from its date until the worker's next row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from armazem.simulate.techco.reference import (
    ANNUAL_EXIT_RATE,
    DEPARTMENTS,
    EMPLOYEES_AT_SCALE_1,
    FAMILIES,
    FIRST_NAMES,
    HISTORY_END,
    HISTORY_START,
    HORIZON_END,
    LAST_NAMES,
    LEVEL_STEP,
    RENAMED,
    stream,
)
from armazem.simulate.techco.tables import before, group_last, table, texts

FAMILY_NAMES = list(FAMILIES)
N_DEPARTMENTS = len(DEPARTMENTS)
DEPARTMENT_FAMILY = np.array([FAMILY_NAMES.index(d[4]) for d in DEPARTMENTS])
DEPARTMENT_SHARE = np.array([d[3] for d in DEPARTMENTS])
RAISE = 1.03  # every 1 January, for whoever is employed that day
PROMOTION = 1.10
YEARS = 365.25


@dataclass(frozen=True)
class Workforce:
    """Everyone who ever works at TechCo over the horizon, and their history."""

    worker_id: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    email: np.ndarray
    employments: dict[str, np.ndarray]  # employment_id, worker_id, hire_date, termination_date...
    positions: dict[str, np.ndarray]  # worker_id, valid_from, department_id, job_profile_id, ...
    salaries: dict[str, np.ndarray]  # worker_id, effective_date, annual_salary, reason


def job_profile_id(family: np.ndarray, level: np.ndarray) -> np.ndarray:
    return family * 4 + level


def job_profiles() -> pa.Table:
    ids, titles, families, levels, low, high = [], [], [], [], [], []
    for f, name in enumerate(FAMILY_NAMES):
        ladder, base = FAMILIES[name]
        for level, title in enumerate(ladder, start=1):
            ids.append(f * 4 + level)
            titles.append(title)
            families.append(name)
            levels.append(level)
            low.append(round(base * LEVEL_STEP ** (level - 1), -2))
            high.append(round(base * LEVEL_STEP ** (level - 1) * 1.3, -2))
    return table(
        {
            "job_profile_id": np.array(ids),
            "title": np.array(titles),
            "job_family": np.array(families),
            "level": np.array(levels),
            "min_salary": np.array(low, float),
            "max_salary": np.array(high, float),
        },
        {"job_profile_id": pa.int32(), "level": pa.int32()},
    )


def workforce(seed: int, scale: float) -> Workforce:
    rng = stream(seed, "people")
    start, horizon = np.datetime64(HISTORY_START, "D"), np.datetime64(HORIZON_END, "D")
    initial = max(12, round(EMPLOYEES_AT_SCALE_1 * scale * 0.8))
    final = max(15, round(EMPLOYEES_AT_SCALE_1 * scale))
    years = (horizon - start).astype(int) / YEARS
    growth_per_year = (final - initial) / ((HISTORY_END - HISTORY_START).days / YEARS)
    average = initial + growth_per_year * years / 2
    hires = round(growth_per_year * years + ANNUAL_EXIT_RATE * average * years)
    n = initial + hires
    # One head per department, hired long ago and staying; the rest by department share.
    department = np.empty(n, np.int64)
    department[:N_DEPARTMENTS] = np.arange(1, N_DEPARTMENTS + 1)
    share = DEPARTMENT_SHARE / DEPARTMENT_SHARE.sum()
    department[N_DEPARTMENTS:] = rng.choice(N_DEPARTMENTS, n - N_DEPARTMENTS, p=share) + 1
    hire = np.empty(n, "datetime64[D]")
    hire[:initial] = np.datetime64("2015-01-05") + rng.integers(0, 2900, initial)
    hire[:N_DEPARTMENTS] = np.datetime64("2014-03-03") + rng.integers(0, 300, N_DEPARTMENTS)
    hire_days = rng.integers(0, (horizon - start).astype(int) + 1, hires)
    hire[initial:] = np.sort(start + hire_days)
    hire[initial:] += (7 - (hire[initial:].astype(np.int64) + 3) % 7) % 7  # start on a Monday
    observed_from = np.maximum(hire, start)
    tenure = rng.exponential(YEARS / ANNUAL_EXIT_RATE, n).astype(np.int64)
    termination = observed_from + tenure
    termination[:N_DEPARTMENTS] = np.datetime64("NaT")
    termination[termination > horizon] = np.datetime64("NaT")
    leaves = ~np.isnat(termination)
    voluntary = rng.random(n) < 0.7
    kind = np.where(leaves, np.where(voluntary, "voluntary", "involuntary"), None)
    regrettable = leaves & voluntary & (rng.random(n) < 0.4)
    level = np.where(rng.random(n) < 0.55, 1, np.where(rng.random(n) < 0.7, 2, 3))
    level[:N_DEPARTMENTS] = 4
    first = FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), n)]
    last = LAST_NAMES[rng.integers(0, len(LAST_NAMES), n)]
    ids = np.arange(1, n + 1)
    email = texts(first, ".", last, ids, "@techco.example")
    employments = _employments(rng, ids, hire, termination, kind, regrettable)
    positions = _positions(rng, employments, department, level)
    salaries = _salaries(rng, employments, positions, level)
    return Workforce(
        ids,
        np.char.capitalize(first),
        np.char.capitalize(last),
        email,
        employments,
        positions,
        salaries,
    )


def _employments(rng, ids, hire, termination, kind, regrettable) -> dict[str, np.ndarray]:
    """One employment per worker, plus a rehire: a regretted leaver who comes back."""
    n = len(ids)
    cutoff = np.datetime64(HISTORY_END, "D") - 400
    candidates = np.flatnonzero(
        regrettable
        & (termination > np.datetime64(HISTORY_START, "D") + 60)
        & (termination < cutoff)
    )
    worker = ids.copy()
    hires, ends, kinds, regrets = hire.copy(), termination.copy(), kind.copy(), regrettable.copy()
    rehire_flag = np.zeros(n, bool)
    if len(candidates):
        back = candidates[rng.integers(0, len(candidates))]
        worker = np.append(worker, ids[back])
        hires = np.append(
            hires,
            termination[back] + 180 + (7 - (termination[back] + 180 + 3).astype(np.int64) % 7) % 7,
        )
        ends = np.append(ends, np.datetime64("NaT"))
        kinds = np.append(kinds, None)
        regrets = np.append(regrets, False)
        rehire_flag = np.append(rehire_flag, True)
    return {
        "employment_id": np.arange(1, len(worker) + 1),
        "worker_id": worker,
        "hire_date": hires,
        "termination_date": ends,
        "termination_kind": kinds,
        "is_regrettable": regrets,
        "is_rehire": rehire_flag,
    }


def _positions(rng, employments, department, level) -> dict[str, np.ndarray]:
    """A row at each hire, promotion (a level up) and transfer (another department); the
    manager is the department's head, and the heads report to the chief executive."""
    worker = employments["worker_id"]
    start = employments["hire_date"]
    end = employments["termination_date"]
    last_day = np.where(np.isnat(end), np.datetime64(HORIZON_END, "D"), end)
    observed = np.maximum(start, np.datetime64(HISTORY_START, "D"))
    first_job = ~employments["is_rehire"]
    dept0, level0 = department[worker - 1], level[worker - 1]
    heads = level0 == 4
    promo = observed + rng.exponential(4 * YEARS, len(worker)).astype(np.int64)
    promo_ok = first_job & ~heads & (level0 < 3) & (promo <= last_day)
    transfer = observed + rng.exponential(10 * YEARS, len(worker)).astype(np.int64)
    transfer_ok = first_job & ~heads & (dept0 > 1) & (transfer <= last_day) & (transfer != promo)
    other = rng.integers(2, N_DEPARTMENTS + 1, len(worker))
    other = np.where(other == dept0, np.where(dept0 == 3, 4, 3), other)
    # Where both happen, each row carries whatever the other one changed before it.
    dept_at_promo = np.where(transfer_ok & (transfer < promo), other, dept0)
    level_at_transfer = np.where(promo_ok & (promo < transfer), level0 + 1, level0)
    rows = [
        (worker, start, dept0, level0, np.where(first_job, "hire", "rehire"), np.ones_like(heads)),
        (worker, promo, dept_at_promo, level0 + 1, "promotion", promo_ok),
        (worker, transfer, other, level_at_transfer, "transfer", transfer_ok),
    ]
    w = np.concatenate([r[0][r[5]] for r in rows])
    when = np.concatenate([r[1][r[5]] for r in rows])
    dept = np.concatenate([r[2][r[5]] for r in rows])
    lvl = np.concatenate([r[3][r[5]] for r in rows])
    reason = np.concatenate([np.broadcast_to(r[4], len(r[0]))[r[5]] for r in rows])
    # Numbered in time order, so a row that appears later always has a higher id (a reader
    # that appends by id misses none).
    order = np.lexsort((w, when))
    w, when, dept, lvl, reason = w[order], when[order], dept[order], lvl[order], reason[order]
    family = DEPARTMENT_FAMILY[dept - 1]
    head_of = np.arange(1, N_DEPARTMENTS + 1)  # worker i+1 heads department i+1
    manager = np.where(lvl == 4, 1, head_of[dept - 1]).astype(float)
    manager[w == 1] = np.nan  # the chief executive reports to no one
    return {
        "position_id": np.arange(1, len(w) + 1),
        "worker_id": w,
        "valid_from": when,
        "department_id": dept,
        "job_profile_id": job_profile_id(family, lvl),
        "manager_id": manager,
        "reason": reason,
    }


def _salaries(rng, employments, positions, level) -> dict[str, np.ndarray]:
    """A salary at hire (within the band), +3% each 1 January employed, +10% on promotion."""
    worker_ids = employments["worker_id"]
    n_workers = int(worker_ids.max())
    profile_family = (positions["job_profile_id"] - 1) // 4
    first_row = positions["reason"] == "hire"
    base_family = np.zeros(n_workers, np.int64)
    base_family[positions["worker_id"][first_row] - 1] = profile_family[first_row]
    bases = np.array([FAMILIES[f][1] for f in FAMILY_NAMES], float)
    wid = np.arange(1, n_workers + 1)
    band = bases[base_family] * LEVEL_STEP ** (level[wid - 1] - 1)
    initial = np.round(band * rng.uniform(1.0, 1.3, n_workers), -2)
    events_w, events_d, events_k = [], [], []
    for kind in ("hire", "rehire", "promotion"):
        pick = positions["reason"] == kind
        events_w.append(positions["worker_id"][pick])
        events_d.append(positions["valid_from"][pick])
        events_k.append(np.full(int(pick.sum()), kind))
    start, end = employments["hire_date"], employments["termination_date"]
    last_day = np.where(np.isnat(end), np.datetime64(HORIZON_END, "D"), end)
    for year in range(HISTORY_START.year + 1, HORIZON_END.year + 1):
        jan1 = np.datetime64(date(year, 1, 1), "D")
        employed = (start < jan1) & (last_day >= jan1)
        events_w.append(worker_ids[employed])
        events_d.append(np.full(int(employed.sum()), jan1))
        events_k.append(np.full(int(employed.sum()), "annual raise"))
    w, when, kind = (np.concatenate(x) for x in (events_w, events_d, events_k))
    order = np.lexsort((when, w))
    w, when, kind = w[order], when[order], kind[order]
    factor = np.select([kind == "annual raise", kind == "promotion"], [RAISE, PROMOTION], 1.0)
    log = np.cumsum(np.log(factor))
    first_of_worker = np.r_[True, w[1:] != w[:-1]]
    group_start = np.maximum.accumulate(np.where(first_of_worker, np.arange(len(w)), 0))
    growth = np.exp(log - log[group_start] + np.log(factor[group_start]))
    salary = np.round(initial[w - 1] * growth, 2)
    by_time = np.lexsort((w, when))  # numbered in time order, as positions are
    return {
        "salary_id": np.arange(1, len(w) + 1),
        "worker_id": w[by_time],
        "effective_date": when[by_time],
        "annual_salary": salary[by_time],
        "reason": kind[by_time],
    }


def hr_tables(force: Workforce, as_of: date) -> dict[str, pa.Table]:
    """The HR database as it stands at the end of `as_of`."""
    cut = np.datetime64(as_of, "D")
    emp = force.employments
    hired = emp["hire_date"] <= cut
    left = before(emp["termination_date"], cut)
    employments = {k: v[hired] for k, v in emp.items()}
    for name in ("termination_date", "termination_kind", "is_regrettable"):
        values = employments[name].copy()
        gone = left[hired]
        if values.dtype.kind == "M":
            values[~gone] = np.datetime64("NaT")
        elif values.dtype == bool:
            values = np.where(gone, values, None)
        else:
            values[~gone] = None
        employments[name] = values
    pos = {k: v[force.positions["valid_from"] <= cut] for k, v in force.positions.items()}
    sal = {k: v[force.salaries["effective_date"] <= cut] for k, v in force.salaries.items()}
    workers = _current_workers(force, employments, pos, sal, cut)
    return {
        "departments": departments(as_of),
        "department_names": department_names(as_of),
        "job_profiles": job_profiles(),
        "workers": workers,
        "employments": table(employments, _INT_IDS),
        "positions": table(pos, _INT_IDS | {"manager_id": pa.int32()}),
        "salaries": table(sal, _INT_IDS),
    }


_INT_IDS = {
    c: pa.int32()
    for c in (
        "employment_id",
        "worker_id",
        "position_id",
        "department_id",
        "job_profile_id",
        "salary_id",
    )
}


def _current_workers(force, employments, pos, sal, cut) -> pa.Table:
    n = len(force.worker_id)
    seen = np.zeros(n, bool)
    seen[employments["worker_id"] - 1] = True
    e_last = group_last(employments["worker_id"] - 1, employments["hire_date"], n)
    p_last = group_last(pos["worker_id"] - 1, pos["valid_from"], n)
    first_hire = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    order = np.argsort(employments["hire_date"])[::-1]
    first_hire[employments["worker_id"][order] - 1] = employments["hire_date"][order]
    ids = np.flatnonzero(seen)
    e, p = e_last[ids], p_last[ids]
    termination = employments["termination_date"][e]
    changed = np.maximum.reduce(
        [
            employments["hire_date"][e],
            pos["valid_from"][p],
            np.where(np.isnat(termination), employments["hire_date"][e], termination),
            _last_date(sal["worker_id"] - 1, sal["effective_date"], n)[ids],
        ]
    )
    return table(
        {
            "worker_id": force.worker_id[ids],
            "first_name": force.first_name[ids],
            "last_name": force.last_name[ids],
            "email": force.email[ids],
            "status": np.where(np.isnat(termination), "active", "terminated"),
            "original_hire_date": first_hire[ids],
            "hire_date": employments["hire_date"][e],
            "termination_date": termination,
            "department_id": pos["department_id"][p],
            "job_profile_id": pos["job_profile_id"][p],
            "manager_id": pos["manager_id"][p],
            "updated_at": changed.astype("datetime64[s]") + np.timedelta64(9 * 3600, "s"),
        },
        _INT_IDS | {"manager_id": pa.int32()},
    )


def _last_date(groups: np.ndarray, when: np.ndarray, size: int) -> np.ndarray:
    result = np.full(size, np.datetime64("1970-01-01"), "datetime64[D]")
    np.maximum.at(result.view(np.int64), groups, when.astype("datetime64[D]").view(np.int64))
    return result


def departments(as_of: date) -> pa.Table:
    renamed_id, old_name, renamed_on = RENAMED
    names = [d[1] if (d[0] != renamed_id or as_of >= renamed_on) else old_name for d in DEPARTMENTS]
    updated = [
        renamed_on if d[0] == renamed_id and as_of >= renamed_on else date(2014, 1, 1)
        for d in DEPARTMENTS
    ]
    return table(
        {
            "department_id": np.array([d[0] for d in DEPARTMENTS]),
            "name": np.array(names),
            "parent_department_id": np.array(
                [np.nan if d[2] is None else d[2] for d in DEPARTMENTS]
            ),
            "cost_center": np.array([f"CC-{d[0]:03d}" for d in DEPARTMENTS]),
            "updated_at": np.array(updated, "datetime64[s]"),
        },
        {"department_id": pa.int32(), "parent_department_id": pa.int32()},
    )


def department_names(as_of: date) -> pa.Table:
    """Every name a department has had, from when (the organisation began in 2014)."""
    renamed_id, old_name, renamed_on = RENAMED
    ids = [d[0] for d in DEPARTMENTS]
    names = [old_name if d[0] == renamed_id else d[1] for d in DEPARTMENTS]
    since = [date(2014, 1, 1)] * len(ids)
    if as_of >= renamed_on:
        ids.append(renamed_id)
        names.append(DEPARTMENTS[renamed_id - 1][1])
        since.append(renamed_on)
    return table(
        {
            "department_name_id": np.arange(1, len(ids) + 1),
            "department_id": np.array(ids),
            "name": np.array(names),
            "valid_from": np.array(since, "datetime64[D]"),
        },
        {"department_id": pa.int32()},
    )


def employed_on(employments: dict[str, np.ndarray], day: np.datetime64) -> np.ndarray:
    """Per employment, whether it covers `day` (termination_date is the last day worked)."""
    end = employments["termination_date"]
    return (employments["hire_date"] <= day) & (np.isnat(end) | (end >= day))
