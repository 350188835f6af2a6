"""Status of tasks and the figures of the Thống kê sheet.

Four classes, as task trackers and the Government Office count them; each task (and each
assignment of a unit) falls in exactly one, so the counts add up to the total:

- Hoàn thành đúng hạn: reported "Hoàn thành" with its completion date (or, if none, the day
  the return was saved) on or before the due date; a task with no due date (Thường xuyên …)
  is never late;
- Hoàn thành quá hạn: reported "Hoàn thành" after the due date;
- Quá hạn (chưa hoàn thành): not done, and the due date has passed;
- Đang thực hiện trong hạn: not done, the due date not passed — whatever the unit reported
  ("Đang thực hiện", "Tạm dừng", "Chưa thực hiện") or if it reported nothing.

A task is done when every lead unit assigned to it reports "Hoàn thành" — late if any of
them finished late, on time otherwise. Cooperating units do not decide it. A unit's figures
count each task it leads: its own row when it reported, otherwise the due date alone.
`rest` counts, besides the classes, what no lead unit has reported yet ("trong đó chưa báo
cáo"). % done = (on time + late) / tasks; units are ranked by % on time.

The same rule is written twice: here in Python for the terminal and the Word report, and as
Excel formulas (Tổng hợp's "Đánh giá" column and the Thống kê sheet) that stay right when a
clerk fixes a cell by hand. A test recalculates the formulas in LibreOffice and compares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import repeat

from ccpkh_excel.domain.periods import Period, parse_period, period_key
from ccpkh_excel.domain.plan import Plan, Task, build_assignments
from ccpkh_excel.domain.units import LEAD

ON_TIME = "Hoàn thành đúng hạn"
LATE = "Hoàn thành quá hạn"
IN_PROGRESS = "Đang thực hiện trong hạn"
OVERDUE = "Quá hạn (chưa hoàn thành)"
CLASSES = (ON_TIME, LATE, IN_PROGRESS, OVERDUE)
# Kept for the code that named the old fifth class: a task not started counts by its due date
NOT_STARTED = IN_PROGRESS
NOT_REPORTED = "Trong đó: chưa báo cáo"  # the header of `rest`, a part of the classes, not a fifth
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
    """The class of one unit's row; the same as `row_formula`, in Python."""
    if status == DONE:
        if due is None:
            return ON_TIME
        day = done if isinstance(done, date) else (saved.date() if isinstance(saved, datetime) else saved)
        return ON_TIME if isinstance(day, date) and day <= due else LATE
    return unreported_status(due, as_of)


def unreported_status(due: date | None, as_of: date) -> str:
    """The class of a task nobody has finished: by its due date alone."""
    return OVERDUE if due is not None and as_of > due else IN_PROGRESS


@dataclass
class Counts:
    label: str
    tasks: int = 0
    on_time: int = 0
    late: int = 0
    in_progress: int = 0
    overdue: int = 0
    rest: int = 0  # of those, not reported by any lead unit (fields) / by the unit (units)

    @property
    def done(self) -> int:
        return self.on_time + self.late

    @property
    def pct(self) -> float:
        return round(100 * self.done / self.tasks, 1) if self.tasks else 0.0

    @property
    def pct_on_time(self) -> float:
        return round(100 * self.on_time / self.tasks, 1) if self.tasks else 0.0

    _FIELDS = {ON_TIME: "on_time", LATE: "late", IN_PROGRESS: "in_progress", OVERDUE: "overdue"}

    def add(self, status: str, reported: bool = True) -> None:
        """Count one task (or assignment) in its class."""
        self.tasks += 1
        name = self._FIELDS[status]
        setattr(self, name, getattr(self, name) + 1)
        if not reported:
            self.rest += 1

    @property
    def classes(self) -> tuple[int, int, int, int]:
        return (self.on_time, self.late, self.in_progress, self.overdue)


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
    reported: int = 0  # lead units that reported it this period
    units: tuple[str, ...] = ()  # the codes of its lead units


@dataclass
class Rank:
    """One line of the ranking of lead units by on-time completion."""

    rank: int
    code: str
    name: str
    counts: Counts


@dataclass
class StatusFigures:
    period: str
    as_of: date
    tasks: list[TaskStatus] = field(default_factory=list)
    fields: list[Counts] = field(default_factory=list)
    total: Counts = field(default_factory=lambda: Counts("Tổng cộng"))
    units: list[tuple[str, Counts]] = field(default_factory=list)  # (code, counts with label = name)
    missing: list[tuple[str, str]] = field(default_factory=list)  # units that have not returned
    # unit code → [(task code, class, reported)] for the tasks it leads that are overdue or not reported
    by_unit: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)

    @property
    def overdue(self) -> list[TaskStatus]:
        return [t for t in self.tasks if t.status == OVERDUE]

    @property
    def late(self) -> list[TaskStatus]:
        return [t for t in self.tasks if t.status == LATE]

    def ranking(self) -> list[Rank]:
        """Lead units by % done on time, then % done, then fewer overdue; equal figures share a
        rank (1, 2, 2, 4 …), and are listed by name."""

        def figures(c: Counts) -> tuple:
            return (-c.pct_on_time, -c.pct, c.overdue)

        ordered = sorted(self.units, key=lambda item: (figures(item[1]), item[1].label))
        out: list[Rank] = []
        for i, (code, c) in enumerate(ordered, start=1):
            prev = out[-1] if out else None
            same = prev is not None and figures(prev.counts) == figures(c)
            out.append(Rank(prev.rank if same else i, code, c.label, c))
        return out


def compute_status(plan: Plan, summary, period: str, as_of: date, returns=()) -> StatusFigures:
    """Status of every task and the figures by field and by lead unit for one period.

    `summary` and `returns` are the rows of Tổng hợp and Theo dõi nộp (named tuples). One
    pass over the rows; the rest follows the tasks and the units."""
    label = parse_period(period).label
    report = StatusFigures(label, as_of)
    assignments = build_assignments(plan)
    leads: dict[str, list[str]] = {}
    for a in assignments:
        if a.role == LEAD:
            leads.setdefault(a.task, []).append(a.unit)
    lead_sets = {code: set(units) for code, units in leads.items()}
    dues = {t.code: t.due for t in plan.tasks}
    by_due = {t.code: unreported_status(t.due, as_of) for t in plan.tasks}
    # one pass: the class of each (task, lead unit) row of the period (the last row of a pair wins)
    cls: dict[tuple[str, str], str] = {}
    active: set[tuple[str, str]] = set()
    for r in summary:
        if r.role != LEAD or (r.period != label and str(r.period) != label):
            continue
        task, unit = r.task, r.unit
        owners = lead_sets.get(task)
        if owners is None or unit not in owners:
            continue
        key = (task, unit)
        status = r.status
        if status == DONE:
            due = dues.get(task)
            if due is None:
                cls[key] = ON_TIME
            else:
                done = r.done
                day = done if isinstance(done, date) else r.saved
                day = day.date() if isinstance(day, datetime) else day
                cls[key] = ON_TIME if isinstance(day, date) and day <= due else LATE
        else:
            cls[key] = by_due[task]  # not done: by its due date
            if status in ACTIVE:
                active.add(key)
    by_field: dict[str, Counts] = {}
    get = cls.get
    for t in plan.tasks:
        units = leads.get(t.code, [])
        got = list(map(get, zip(repeat(t.code), units)))
        n = len(units)
        late = got.count(LATE)
        done = got.count(ON_TIME) + late
        reported = n - got.count(None)
        n_active = sum(1 for u in units if (t.code, u) in active) if active else 0
        st = (LATE if late else ON_TIME) if n and done >= n else by_due[t.code]
        f = t.field or NO_FIELD
        report.tasks.append(
            TaskStatus(t.code, f, t.content, t.due, n, done, late, n_active, st, reported, tuple(units))
        )
        by_field.setdefault(f, Counts(f)).add(st, bool(reported))
        report.total.add(st, bool(reported))
    report.fields = list(by_field.values())
    index = {ON_TIME: 0, LATE: 1, IN_PROGRESS: 2, OVERDUE: 3}
    tallies: dict[str, list[int]] = {}
    behind: dict[str, list[tuple[str, str, bool]]] = {}
    for a in assignments:
        if a.role != LEAD:
            continue
        got = cls.get((a.task, a.unit))
        c = got or by_due.get(a.task, IN_PROGRESS)
        tally = tallies.get(a.unit)
        if tally is None:
            tally = tallies[a.unit] = [0, 0, 0, 0, 0, 0]
        tally[index[c]] += 1
        tally[4] += 1
        if got is None:
            tally[5] += 1
        if got is None or c == OVERDUE:
            behind.setdefault(a.unit, []).append((a.task, c, got is not None))
    for u in plan.units:
        tally = tallies.get(u.code)
        if not tally:
            continue
        on, late, prog, over, n, rest = tally
        report.units.append((u.code, Counts(u.name, n, on, late, prog, over, rest)))
    report.by_unit = behind
    report.missing = [(str(r.unit), str(r.unit_name)) for r in returns if str(r.period) == label and r.outcome == SENT]
    return report


def next_period(period: str) -> Period:
    """The period after `period`, of the same length: Quý I → Quý II, 6 tháng → 6 tháng cuối
    năm (the second half, labelled by its dates), Năm → the next year."""
    p = parse_period(period)
    months = (p.end.year - p.start.year) * 12 + p.end.month - p.start.month + 1
    if months == 3:
        q = (p.end.month // 3) % 4 + 1
        year = p.end.year + (1 if q == 1 else 0)
        return parse_period(f"Quý {q}/{year}")
    if months == 6:
        return Period(date(p.end.year, 12, 31), date(p.end.year, 7, 1), f"6 tháng cuối năm {p.end.year}")
    return parse_period(f"Năm {p.end.year + 1}")


def tasks_due_in(plan: Plan, start: date, end: date) -> list[Task]:
    """The tasks whose Hạn hoàn thành falls between `start` and `end`, in the plan's order."""
    return [t for t in plan.tasks if t.due is not None and start <= t.due <= end]


def latest_period(records, master=None) -> str:
    """The latest period the master has records for (merged rows or forms sent)."""
    from ccpkh_excel.errors import CcpkhError

    periods = sorted(
        {str(r.period) for r in records.summary} | {str(r.period) for r in records.returns if r.period}, key=period_key
    )
    if not periods:
        raise CcpkhError("Sổ chưa có số liệu báo cáo nào; hãy chỉ rõ --period.", master)
    return periods[-1]


__all__ = [
    "CLASSES",
    "IN_PROGRESS",
    "LATE",
    "NOT_STARTED",
    "ON_TIME",
    "OVERDUE",
    "Counts",
    "Rank",
    "StatusFigures",
    "TaskStatus",
    "compute_status",
    "latest_period",
    "next_period",
    "row_status",
    "tasks_due_in",
]
