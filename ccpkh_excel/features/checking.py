"""`check`: check the plan in the master and fill what is derived from it (new Mã NV,
Hạn hoàn thành, the Phân công sheet).

Names no unit answers to are listed in the sheet *Tên cần xác nhận* (Tên đọc được, Gợi ý, Mã
đơn vị to pick); the next `check` learns each pick as a Tên khác of that unit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ccpkh_excel.domain.deadlines import DATE, parse_deadline
from ccpkh_excel.domain.plan import Plan, Problem, apply_deadline, build_assignments, check_plan, number_tasks
from ccpkh_excel.errors import MasterBusyError, MasterLockedError
from ccpkh_excel.features.documents.assessment import ASSESSMENT, starter_rows
from ccpkh_excel.features.excel.dashboard import lost_macros
from ccpkh_excel.features.name_review import NAME_SHEET, learn_picks, unresolved_rows
from ccpkh_excel.store.master import Master

MACROS_LOST = "Sổ mất macro"
NAME_NOT_LEARNED = "Tên chọn ở sheet Tên cần xác nhận không ghi nhận được"


@dataclass
class CheckResult:
    plan: Plan
    problems: list
    changes: list[str]
    saved: bool = True
    not_saved_reason: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


def check_master(master: Master | Path, wait: float = 0.0) -> CheckResult:
    """Check the master; fill what is derived and save it when something changed.

    A master open in Excel is still checked; what would change is reported, not saved."""
    if isinstance(master, Master):
        return _check(master)
    try:
        with Master.open(master, wait=wait) as m:
            return _check(m)
    except MasterBusyError:
        raise
    except MasterLockedError as exc:  # open in Excel: check what is on disk, save nothing
        result = _check(Master.read(master))
        result.saved, result.not_saved_reason = not result.changes, str(exc)
        return result


def _check(m: Master) -> CheckResult:
    plan = m.plan
    stored = m.assignments
    changes = []
    picked = m.sheet(NAME_SHEET)
    learned, refused = learn_picks(plan, picked)
    if learned:
        names = ", ".join(f"'{a.spelling}' → {a.unit.code}" for a in learned)
        changes.append(f"Ghi nhận {len(learned)} tên vào Tên khác: {names}.")
    numbered = number_tasks(plan.tasks)
    new_codes = [t.code for t, old in zip(numbered, plan.tasks, strict=True) if not old.code]
    if new_codes:
        changes.append(f"Cấp mã cho {len(new_codes)} nhiệm vụ mới: {', '.join(new_codes)}.")
    filled = []
    for i, t in enumerate(numbered):
        if t.due is None and parse_deadline(t.deadline, plan.year).kind == DATE:
            numbered[i] = apply_deadline(t, plan.year)[0]
            filled.append(t.code)
    if filled:
        changes.append(f"Tính Hạn hoàn thành cho {len(filled)} nhiệm vụ: {', '.join(filled)}.")
    plan.tasks = numbered
    assignments = build_assignments(plan)
    if stored != assignments:
        changes.append(f"Cập nhật sheet Phân công ({len(assignments)} dòng).")
    names = unresolved_rows(plan)
    if [[str(v or "") for v in r] for r in picked] != names and (names or picked):
        changes.append(f"Cập nhật sheet {NAME_SHEET.name} ({len(names)} tên chưa nhận ra).")
    sheets = {NAME_SHEET: names}
    if not m.has_sheet(ASSESSMENT):  # an older master: the sheet the BÁO CÁO takes its assessment from
        sheets[ASSESSMENT] = starter_rows()
        changes.append(f"Bổ sung sheet {ASSESSMENT.name} (nơi ghi phần đánh giá của báo cáo).")
    result = CheckResult(plan, check_plan(plan), changes)
    for message in refused:
        result.problems.append(Problem(NAME_NOT_LEARNED, message))
    if lost := lost_macros(m.path):  # an .xlsm saved without its VBA project or its buttons
        result.problems.append(Problem(MACROS_LOST, lost))
    if changes and m.writable:
        m.log("Kiểm tra", [m.path.name], " ".join(changes))
        m.save(plan=plan, assignments=assignments, sheets=sheets)
    elif changes:
        result.saved = False
    return result
