#!/usr/bin/env python3
"""The reference: the catalog's KPIs in DuckDB SQL, straight from the CSV files.

    python bench/duckdb_reference.py bench/data/1M 2024-06

Prints one JSON object, KPI id -> [numerator, denominator], for the month. It
reads the eight sheets of the benchmark data (canonical headers, canonical
values) with explicit column types and follows the shipped definitions'
semantics: a row is in the month by its period column, an empty cell fails any
comparison, `internal` orders are excluded where the catalog says so (the
appointment rate), DCRC counts 90 calendar days, a blank `satisfied` is "not
asked", a suggestion counts once at its latest review in the month, a
work order is a comeback's original when another order names it in
`comeback_of`, a problem counts as resolved only when all its faults are.
It is run as its own process by bench/run.py, so it pays process start and
`import duckdb` as sdkpi pays its own.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

T, D, N, B, S = "TIMESTAMP", "DATE", "DOUBLE", "BOOLEAN", "VARCHAR"

# Only the columns the KPIs read are typed and kept (DuckDB skips converting the rest).
COLUMNS: dict[str, dict[str, str]] = {
    "work_orders": {
        "ro_number": S,
        "opened_at": T,
        "customer_type": S,
        "advisor": S,
        "appointment_id": S,
        "pre_inspected": B,
        "pre_inspection_form": B,
        "walkaround": B,
        "menu_priced": B,
        "parts_prepicked_on_time": B,
        "promised_at": T,
        "work_completed_at": T,
        "invoiced_at": T,
        "delivery_explained": B,
        "closed_at": T,
        "labor_hours_sold": N,
        "parts_amount": N,
        "comeback_of": S,
    },
    "appointments": {"booked_at": T, "appointment_time": T, "reminded_at": T, "arrived_at": T},
    "parts_requests": {"requested_at": T, "filled_immediately": B},
    "technician_time": {"date": D, "available_hours": N, "clocked_hours": N, "sold_hours": N},
    "callbacks": {"due_at": T, "result": S, "satisfied": B},
    "customer_issues": {"issue_id": S, "raised_at": T, "resolved": B},
    "vehicle_sales": {"delivered_at": T, "introduced_to_service": B, "first_service_contact_at": T},
    "suggestions": {"suggestion_id": S, "reviewed_at": D, "should_implement": B, "implemented": B},
}

QUERIES = {
    "work_orders": """
        WITH named AS (
            SELECT DISTINCT store, comeback_of AS ro FROM work_orders
            WHERE comeback_of IS NOT NULL AND comeback_of <> ro_number
        ), wo AS (
            SELECT w.*, coalesce(w.customer_type = 'internal', false) AS internal,
                   (w.ro_number IS NOT NULL AND n.ro IS NOT NULL) AS named
            FROM work_orders w LEFT JOIN named n ON w.ro_number = n.ro AND w.store = n.store
            WHERE w.opened_at >= $start AND w.opened_at < $end
        )
        SELECT
            count(*) FILTER (NOT internal AND appointment_id IS NOT NULL), count(*) FILTER (NOT internal),
            count(*) FILTER (menu_priced), count(*),
            count(*) FILTER (pre_inspected AND pre_inspection_form), count(*) FILTER (pre_inspected),
            count(*) FILTER (walkaround), count(*),
            count(*) FILTER (parts_prepicked_on_time), count(*),
            count(*) FILTER (NOT named), count(*),
            count(*) FILTER (work_completed_at <= promised_at - INTERVAL 30 MINUTE), count(*),
            count(*) FILTER (invoiced_at <= promised_at), count(*),
            count(*) FILTER (delivery_explained), count(*)
        FROM wo""",
    "work_orders_closed": """
        SELECT coalesce(sum(labor_hours_sold), 0), count(*),
               coalesce(sum(parts_amount), 0), count(*),
               coalesce(sum(parts_amount), 0), count(DISTINCT advisor)
        FROM work_orders WHERE closed_at >= $start AND closed_at < $end""",
    "appointments": """
        SELECT
            count(*) FILTER (booked_at <= appointment_time - INTERVAL 24 HOUR AND reminded_at
                BETWEEN appointment_time - INTERVAL 24 HOUR AND appointment_time - INTERVAL 12 HOUR),
            count(*) FILTER (booked_at <= appointment_time - INTERVAL 24 HOUR),
            count(*) FILTER (arrived_at BETWEEN appointment_time - INTERVAL 5 MINUTE AND appointment_time),
            count(*)
        FROM appointments WHERE appointment_time >= $start AND appointment_time < $end""",
    "parts_requests": """
        SELECT count(*) FILTER (filled_immediately), count(*)
        FROM parts_requests WHERE requested_at >= $start AND requested_at < $end""",
    "technician_time": """
        SELECT coalesce(sum(clocked_hours), 0), coalesce(sum(available_hours), 0),
               coalesce(sum(sold_hours), 0), coalesce(sum(clocked_hours), 0),
               coalesce(sum(sold_hours), 0), coalesce(sum(available_hours), 0)
        FROM technician_time WHERE date >= $start AND date < $end""",
    "callbacks": """
        SELECT count(*) FILTER (result = 'reached'), count(*),
               count(*) FILTER (result = 'reached' AND satisfied),
               count(*) FILTER (result = 'reached' AND satisfied IS NOT NULL)
        FROM callbacks WHERE due_at >= $start AND due_at < $end""",
    "customer_issues": """
        SELECT count(*) FILTER (all_resolved), count(*) FROM (
            SELECT issue_id, bool_and(coalesce(resolved, false)) AS all_resolved
            FROM customer_issues
            WHERE raised_at >= $start AND raised_at < $end AND issue_id IS NOT NULL
            GROUP BY issue_id)""",
    "vehicle_sales": """
        SELECT count(*) FILTER (introduced_to_service), count(*),
               count(*) FILTER (first_service_contact_at >= delivered_at
                   AND first_service_contact_at < CAST(delivered_at AS DATE) + INTERVAL 91 DAY), count(*)
        FROM vehicle_sales WHERE delivered_at >= $start AND delivered_at < $end""",
    "suggestions": """
        SELECT count(*) FILTER (should_implement AND implemented), count(*) FILTER (should_implement)
        FROM (
            SELECT *, row_number() OVER (
                PARTITION BY store, suggestion_id ORDER BY reviewed_at DESC, line DESC) AS latest
            FROM (SELECT *, row_number() OVER () AS line FROM suggestions)
            WHERE reviewed_at >= $start AND reviewed_at < $end
        ) WHERE latest = 1 OR suggestion_id IS NULL""",
}

# The KPIs each query gives, as (numerator, denominator) column pairs in order.
KPIS = {
    "work_orders": (
        "appointment_rate",
        "menu_pricing_rate",
        "inspection_form_rate",
        "walkaround_rate",
        "parts_prepick_rate",
        "first_time_fix_rate",
        "on_time_completion_rate",
        "invoice_timeliness_rate",
        "delivery_explanation_rate",
    ),
    "work_orders_closed": ("hours_per_ro", "parts_sales_per_ro", "parts_sales_per_advisor"),
    "appointments": ("reminder_rate", "punctuality_rate"),
    "parts_requests": ("parts_fill_rate",),
    "technician_time": ("utilization", "efficiency", "performance_index"),
    "callbacks": ("callback_rate", "satisfaction_rate"),
    "customer_issues": ("problem_resolution_rate",),
    "vehicle_sales": ("sales_handover_rate", "dcrc_contact_rate"),
    "suggestions": ("suggestion_implementation_rate",),
}


def _store(sheet: str, header: list[str]) -> str:
    """Work orders and suggestions carry their store: a comeback names an order of its own
    store, a suggestion id is its store's."""
    if sheet not in ("work_orders", "suggestions"):
        return ""
    return ", coalesce(store, '') AS store" if "store" in header else ", '' AS store"


def load(con: object, folder: Path) -> None:
    """One typed table per sheet, read once from its CSV (only the KPI columns)."""
    for sheet, columns in COLUMNS.items():
        path = folder / f"{sheet}.csv"
        header = path.open(encoding="utf-8").readline().strip().split(",")
        types = {name: columns.get(name, S) for name in header}
        con.execute(  # type: ignore[attr-defined]
            f"CREATE TABLE {sheet} AS SELECT {', '.join(columns)}{_store(sheet, header)} "
            "FROM read_csv(?, header = true, "
            f"auto_detect = false, columns = {types!r}, timestampformat = '%Y-%m-%d %H:%M', "
            "dateformat = '%Y-%m-%d')",
            [str(path)],
        )


def compute(folder: Path, month: str) -> dict[str, list[float]]:
    import duckdb

    year, number = map(int, month.split("-"))
    start = date(year, number, 1)
    end = date(year + number // 12, number % 12 + 1, 1)
    con = duckdb.connect()
    load(con, folder)
    out: dict[str, list[float]] = {}
    for name, sql in QUERIES.items():
        row = con.execute(sql, {"start": start, "end": end}).fetchone()
        assert row is not None
        for i, kpi in enumerate(KPIS[name]):
            out[kpi] = [float(row[2 * i]), float(row[2 * i + 1])]
    return out


if __name__ == "__main__":
    print(json.dumps(compute(Path(sys.argv[1]), sys.argv[2])))
