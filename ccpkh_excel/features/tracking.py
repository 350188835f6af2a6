"""`status`: where the plan stands for a period — the figures by field and by lead unit, the
units that have not returned their forms, the overdue tasks — and the same figures as pandas
tables for exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ccpkh_excel.domain import times
from ccpkh_excel.domain.status import StatusReport, compute_status, latest_period
from ccpkh_excel.store.master import Master


def read_status(master: Master | Path, period: str | None = None, as_of: date | None = None) -> StatusReport:
    """Status from the master; the period defaults to the latest one with records."""
    m = master if isinstance(master, Master) else Master.read(master)
    records = m.records
    period = period or latest_period(records, m.path)
    return compute_status(m.plan, records.summary, period, as_of or times.today(), records.returns)
