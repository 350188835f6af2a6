"""Status of tasks and the figures of the Thống kê sheet.

The rule, for one period and an as-of date:
- a unit's row: "Hoàn thành" with its completion date (or, if none, the day the return was
  saved) on or before the due date → Hoàn thành đúng hạn, after it → Hoàn thành quá hạn;
  not done and the due date passed → Quá hạn; "Đang thực hiện" or "Tạm dừng" → Đang thực
  hiện; otherwise Chưa thực hiện. A task with no due date (Thường xuyên …) is never late.
- a task: done when every lead unit assigned to it reports "Hoàn thành" — late if any of
  them finished late, on time otherwise; not done and past due → Quá hạn; some lead unit at
  work → Đang thực hiện; otherwise Chưa thực hiện. Cooperating units do not decide it.
- % done = (on time + late) / tasks.

The same rule is written twice: here in Python for the terminal and the Word report, and as
Excel formulas (Tổng hợp's "Đánh giá" column and the Thống kê sheet) that stay right when a
clerk fixes a cell by hand. A test recalculates the formulas in LibreOffice and compares.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from ccpkh_excel.domain.periods import parse_period, period_key
from ccpkh_excel.domain.plan import Plan, build_assignments
from ccpkh_excel.domain.units import LEAD

ON_TIME = "Hoàn thành đúng hạn"
LATE = "Hoàn thành quá hạn"
IN_PROGRESS = "Đang thực hiện"
OVERDUE = "Quá hạn"
NOT_STARTED = "Chưa thực hiện"
DONE = "Hoàn thành"
ACTIVE = ("Đang thực hiện", "Tạm dừng")
NO_FIELD = "(Chưa phân lĩnh vực)"
# What Theo dõi nộp says of a unit's return for a period
SENT = "Chưa nộp (đã gửi phiếu)"
MERGED = "Đã tổng hợp"
MERGED_WARN = "Đã tổng hợp, có cảnh báo"
REJECTED = "Bị từ chối"
SUPERSEDED = "Không dùng (có bản lưu sau)"


def row_status(status: str, done: object, saved: object, due: date | None, as_of: date) -> str:
    """The same as `row_formula`, in Python."""
    if status == DONE:
        if due is None:
            return ON_TIME
        day = done if isinstance(done, date) else (saved.date() if isinstance(saved, datetime) else saved)
        return ON_TIME if isinstance(day, date) and day <= due else LATE
    if due is not None and as_of > due:
        return OVERDUE
    return IN_PROGRESS if status in ACTIVE else NOT_STARTED


@dataclass
class Counts:
    label: str
    tasks: int = 0
    on_time: int = 0
    late: int = 0
    in_progress: int = 0
    overdue: int = 0
    rest: int = 0  # not started (fields) / not reported (units)

    @property
    def pct(self) -> float:
        return round(100 * (self.on_time + self.late) / self.tasks, 1) if self.tasks else 0.0

    _FIELDS = {ON_TIME: "on_time", LATE: "late", IN_PROGRESS: "in_progress", OVERDUE: "overdue"}

    def tally(self, status: str) -> None:
        """Count one status (not the task itself); anything else goes to `rest`."""
        name = self._FIELDS.get(status, "rest")
        setattr(self, name, getattr(self, name) + 1)

    def add(self, status: str) -> None:
        self.tasks += 1
        self.tally(status)


@dataclass
class TaskStatus:
    code: str
    field: str
    content: str
    due: date | None
    leads: int
    done: int
    late: int
    active: int
    status: str


@dataclass
class StatusFigures:
    period: str
    as_of: date
    tasks: list[TaskStatus] = field(default_factory=list)
    fields: list[Counts] = field(default_factory=list)
    total: Counts = field(default_factory=lambda: Counts("Tổng cộng"))
    units: list[tuple[str, Counts]] = field(default_factory=list)  # (code, counts with label = name)
    missing: list[tuple[str, str]] = field(default_factory=list)  # units that have not returned

    @property
    def overdue(self) -> list[TaskStatus]:
        return [t for t in self.tasks if t.status == OVERDUE]


def compute_status(plan: Plan, summary, period: str, as_of: date, returns=()) -> StatusFigures:
    """Status of every task and the figures by field and by lead unit for one period.

    `summary` and `returns` are the rows of Tổng hợp and Theo dõi nộp (named tuples)."""
    label = parse_period(period).label
    report = StatusFigures(label, as_of)
    assignments = build_assignments(plan)
    leads: dict[str, list[str]] = {}
    for a in assignments:
        if a.role == LEAD:
            leads.setdefault(a.task, []).append(a.unit)
    dues = {t.code: t.due for t in plan.tasks}
    rows = [r for r in summary if str(r.period) == label]
    lead_rows: dict[str, list] = {}
    unit_rows: dict[str, list] = {}
    for r in rows:
        if str(r.role) == LEAD:
            lead_rows.setdefault(str(r.task), []).append(r)
            unit_rows.setdefault(str(r.unit), []).append(r)
    by_field: dict[str, Counts] = {}
    lead_sets = {code: set(units) for code, units in leads.items()}
    for t in plan.tasks:  # only the units that lead the task now decide it (a lead may have changed)
        mine = [r for r in lead_rows.get(t.code, []) if r.unit in lead_sets.get(t.code, ())]
        evals = [row_status(str(r.status), r.done, r.saved, t.due, as_of) for r in mine]
        done = sum(1 for r in mine if r.status == DONE)
        late = evals.count(LATE)
        active = sum(1 for r in mine if r.status in ACTIVE)
        n = len(leads.get(t.code, []))
        if n and done >= n:
            st = LATE if late else ON_TIME
        elif t.due is not None and as_of > t.due:
            st = OVERDUE
        elif done + active:
            st = IN_PROGRESS
        else:
            st = NOT_STARTED
        f = t.field or NO_FIELD
        report.tasks.append(TaskStatus(t.code, f, t.content, t.due, n, done, late, active, st))
        by_field.setdefault(f, Counts(f)).add(st)
        report.total.add(st)
    report.fields = list(by_field.values())
    lead_count = Counter(a.unit for a in assignments if a.role == LEAD)
    for u in plan.units:
        n = lead_count[u.code]
        if not n:
            continue
        c = Counts(u.name, tasks=n)
        reported = [r for r in unit_rows.get(u.code, []) if u.code in lead_sets.get(r.task, ())]
        for r in reported:
            c.tally(row_status(str(r.status), r.done, r.saved, dues.get(str(r.task)), as_of))
        c.rest = n - len(reported)  # a unit's rest is what it has not reported
        report.units.append((u.code, c))
    report.missing = [(str(r.unit), str(r.unit_name)) for r in returns if str(r.period) == label and r.outcome == SENT]
    return report


def latest_period(records, master=None) -> str:
    """The latest period the master has records for (merged rows or forms sent)."""
    from ccpkh_excel.errors import CcpkhError

    periods = sorted(
        {str(r.period) for r in records.summary} | {str(r.period) for r in records.returns if r.period}, key=period_key
    )
    if not periods:
        raise CcpkhError("Sổ chưa có số liệu báo cáo nào; hãy chỉ rõ --period.", master)
    return periods[-1]
