"""The task catalogue: tasks, their stable codes (Mã NV), assignments and checks."""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from datetime import date

from ccpkh_excel.domain import deadlines
from ccpkh_excel.domain.units import COOP, LEAD, Directory, Resolution, Unit
from ccpkh_excel.domain.vntext import fold

# Mục of the "Thông tin chung" sheet, in order.
INFO_FIELDS = (
    "Cơ quan chủ quản",
    "Cơ quan ban hành",
    "Địa danh",
    "Số ký hiệu",
    "Ngày ban hành",
    "Tên loại",
    "Trích yếu",
    "Năm",
    "Quyền hạn ký",
    "Chức vụ người ký",
    "Người ký",
    "Nơi nhận",
    "Đầu mối liên hệ",
    "Mã kế hoạch",
    "Lời dẫn",
    "Đoạn kết",
)
PLAN_ID = "Mã kế hoạch"


@dataclass
class Task:
    """One row of "Danh mục nhiệm vụ"."""

    code: str = ""
    stt: str = ""
    field: str = ""
    content: str = ""
    lead: str = ""
    coop: str = ""
    deadline: str = ""
    due: date | None = None
    product: str = ""
    note: str = ""


@dataclass
class Plan:
    """What a master workbook holds: plan information, units and the task catalogue."""

    info: dict[str, object] = field(default_factory=lambda: {k: "" for k in INFO_FIELDS})
    units: list[Unit] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    # the text of the KẾ HOẠCH itself (sheets Căn cứ, Mục đích, yêu cầu, Nội dung, Tổ chức thực hiện)
    basis: list[str] = field(default_factory=list)
    purposes: list[tuple[str, str]] = field(default_factory=list)  # (Mục đích | Yêu cầu, text)
    content: list[tuple[str, str]] = field(default_factory=list)  # (Lĩnh vực, bullet)
    organization: list[tuple[str, str]] = field(default_factory=list)  # (Mã đơn vị or heading, duty)

    @property
    def year(self) -> int | None:
        value = self.info.get("Năm")
        try:
            return int(str(value).strip()) if value not in (None, "") else None
        except ValueError:
            return None

    def directory(self) -> Directory:
        """The units indexed for resolution; built once while the units stay as they are."""
        key = _units_key(self.units)
        memo = self.__dict__.get("_directory_memo")
        if memo is None or memo[0] != key:
            memo = self.__dict__["_directory_memo"] = (key, Directory(self.units))
        return memo[1]


def _units_key(units: list[Unit]) -> tuple:
    """What resolution reads of the units: a directory or assignments made from equal keys are equal."""
    return tuple((u.code, u.name, tuple(u.aliases), tuple(u.groups)) for u in units)


@dataclass(frozen=True, slots=True)
class Assignment:
    """One row of "Phân công" (slots: a national plan has hundreds of thousands)."""

    task: str
    unit: str
    unit_name: str
    role: str


@dataclass(frozen=True)
class Problem:
    """Something a clerk must fix; `kind` groups problems in reports."""

    kind: str
    message: str
    task: str = ""


UNRESOLVED = "Tên đơn vị không nhận ra"
DEADLINE = "Thời gian hoàn thành chưa hiểu được"
NO_DEADLINE = "Thiếu thời gian hoàn thành"
DUE_MISMATCH = "Hạn hoàn thành khác thời gian ghi trong kế hoạch"
DUPLICATE = "Nhiệm vụ trùng lặp"
NO_LEAD = "Nhiệm vụ chưa có cơ quan chủ trì"
NO_EMAIL = "Đơn vị chưa có email"
NO_CODE = "Đơn vị thiếu mã"
DUP_UNIT = "Mã đơn vị trùng"
NUMBER = "Số ký hiệu chưa đúng thể thức"


def next_code(tasks: list[Task]) -> int:
    numbers = [int(t.code[2:]) for t in tasks if t.code[:2] == "NV" and t.code[2:].isdigit()]
    return max(numbers, default=0) + 1


def number_tasks(tasks: list[Task]) -> list[Task]:
    """Give every task without a Mã NV the next free code; existing codes never change."""
    n = next_code(tasks)
    out = []
    for t in tasks:
        if not t.code:
            t = replace(t, code=f"NV{n:03d}")
            n += 1
        out.append(t)
    return out


def apply_deadline(task: Task, year: int | None) -> tuple[Task, deadlines.Deadline]:
    """Compute Hạn hoàn thành and the condition note from Thời gian hoàn thành."""
    d = deadlines.parse_deadline(task.deadline, year)
    note = task.note
    if d.note and fold(d.note) not in fold(note):
        note = f"{note}; {d.note}" if note else d.note
    return replace(task, due=d.due, note=note), d


@dataclass
class TaskUpdate:
    tasks: list[Task]
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # in the master, not in the source


def update_tasks(existing: list[Task], incoming: list[Task]) -> TaskUpdate:
    """Fold imported tasks into the catalogue, keeping every existing Mã NV.

    A task matches an existing one by its content (exactly, after folding; then, for
    edited wording, by a high similarity); matched tasks keep their code and take the
    source's text, new ones get the next codes, existing ones not in the source stay.
    """
    from rapidfuzz import fuzz, process  # only import needs it: every command imports this module

    pool = {i: fold(t.content) for i, t in enumerate(existing)}  # unmatched existing: index -> folded content
    by_key: dict[str, deque[int]] = {}
    for i, key in pool.items():
        by_key.setdefault(key, deque()).append(i)
    keys = [fold(t.content) for t in incoming]
    matched: dict[int, int] = {}  # incoming index -> existing index
    for j, key in enumerate(keys):
        cands = by_key.get(key)
        if cands:  # the first existing task with this content not matched yet
            matched[j] = cands.popleft()
            pool.pop(matched[j])
    for j, key in enumerate(keys):
        if j in matched or not pool:
            continue
        # the first most similar of the tasks left, if similar enough (as max() over the pool)
        hit = process.extractOne(key, pool, scorer=fuzz.ratio, score_cutoff=90)
        if hit is not None:
            matched[j] = hit[2]
            pool.pop(hit[2])
    result = TaskUpdate(tasks=[])
    placed = set()
    for j, t in enumerate(incoming):
        if j in matched:
            old = existing[matched[j]]
            new = replace(t, code=old.code, field=t.field or old.field, product=t.product or old.product)
            placed.add(matched[j])
            (result.unchanged if new == old else result.updated).append(old.code)
            result.tasks.append(new)
        else:
            result.tasks.append(replace(t, code=""))
    for i, t in enumerate(existing):
        if i not in placed:
            result.kept.append(t.code)
            result.tasks.append(t)
    numbered = number_tasks(result.tasks)
    result.added = [t.code for t, old in zip(numbered, result.tasks, strict=True) if not old.code]
    result.tasks = numbered
    return result


@dataclass
class TaskUnits:
    lead: Resolution
    coop: Resolution


def resolve_task(task: Task, directory: Directory) -> TaskUnits:
    """Resolve a task's lead and cooperating units; a unit never holds both roles.

    A unit named in one column and reached only through a group in the other keeps the
    role it was named for (lead "Các sở, ban, ngành", cooperator "Sở Tư pháp": Sở Tư pháp
    cooperates); otherwise the lead role wins.
    """
    lead = directory.resolve(task.lead)
    coop = directory.resolve(task.coop)
    both = set(lead.codes) & set(coop.codes)
    if both:
        lead_explicit, coop_explicit = lead.explicit, coop.explicit  # computed once, not per code
        to_coop = {c for c in both if c in coop_explicit and c not in lead_explicit}
        to_lead = both - to_coop
        lead.codes = [c for c in lead.codes if c not in to_coop]
        coop.codes = [c for c in coop.codes if c not in to_lead]
    return TaskUnits(lead, coop)


def build_assignments(plan: Plan) -> list[Assignment]:
    """The rows of "Phân công": one per task and resolved unit (a new list each call).

    Built once while the tasks' codes and units and the units stay as they are: one run asks
    for them several times (check, the Thống kê sheet, status) and a national plan has
    hundreds of thousands."""
    key = (tuple((t.code, t.lead, t.coop) for t in plan.tasks), _units_key(plan.units))
    memo = plan.__dict__.get("_assignments_memo")
    if memo is not None and memo[0] == key:
        return list(memo[1])
    directory = plan.directory()
    names = {code: u.name for code, u in directory.by_code.items()}
    rows = []
    for t in plan.tasks:
        r = resolve_task(t, directory)
        for role, codes in ((LEAD, r.lead.codes), (COOP, r.coop.codes)):
            rows.extend([Assignment(t.code, c, names.get(c, c), role) for c in codes])
    plan.__dict__["_assignments_memo"] = (key, rows)
    return list(rows)


def check_plan(plan: Plan) -> list[Problem]:
    """Everything a clerk must fix before sending sheets out."""
    problems: list[Problem] = []
    directory = plan.directory()
    codes = Counter(u.code for u in plan.units)
    for u in plan.units:
        if not u.code:
            problems.append(Problem(NO_CODE, f"Đơn vị '{u.name}' chưa có Mã đơn vị."))
        elif codes[u.code] > 1:
            problems.append(Problem(DUP_UNIT, f"Mã đơn vị '{u.code}' dùng cho nhiều đơn vị."))
    dup_units = {c for c, n in codes.items() if n > 1}
    assigned = set()
    seen: dict[str, str] = {}
    for t in plan.tasks:
        label = f"{t.code} (STT {t.stt})" if t.stt else t.code
        r = resolve_task(t, directory)
        assigned.update(r.lead.codes + r.coop.codes)
        for role, res in (("chủ trì", r.lead), ("phối hợp", r.coop)):
            for u in res.unresolved:
                hint = f" Có phải '{u.suggestion}'?" if u.suggestion else ""
                problems.append(
                    Problem(
                        UNRESOLVED, f"{label}: cơ quan {role} '{u.text}' không có trong sheet Đơn vị.{hint}", t.code
                    )
                )
        if not t.lead.strip():
            problems.append(Problem(NO_LEAD, f"{label}: chưa ghi cơ quan chủ trì.", t.code))
        elif not r.lead.codes and not r.lead.unresolved:
            problems.append(
                Problem(NO_LEAD, f"{label}: cơ quan chủ trì '{t.lead}' không chỉ ra đơn vị cụ thể.", t.code)
            )
        d = deadlines.parse_deadline(t.deadline, plan.year)
        if d.kind == deadlines.MISSING and t.due is None:
            problems.append(Problem(NO_DEADLINE, f"{label}: chưa ghi thời gian hoàn thành.", t.code))
        elif d.kind == deadlines.UNKNOWN and t.due is None:
            problems.append(
                Problem(
                    DEADLINE,
                    f"{label}: không hiểu thời gian hoàn thành '{t.deadline}'; hãy sửa lại hoặc nhập Hạn hoàn thành.",
                    t.code,
                )
            )
        elif d.kind == deadlines.DATE and t.due is not None and t.due != d.due:
            problems.append(
                Problem(
                    DUE_MISMATCH,
                    f"{label}: Hạn hoàn thành {t.due:%d/%m/%Y} khác với '{t.deadline}' ({d.due:%d/%m/%Y}).",
                    t.code,
                )
            )
        key = fold(t.content)
        if key in seen:
            problems.append(Problem(DUPLICATE, f"{label}: trùng nội dung với {seen[key]}.", t.code))
        elif key:
            seen[key] = t.code
    so = str(plan.info.get("Số ký hiệu") or "").strip()
    m = re.match(r"^(?:Số:?\s*)?(\d+)/", so)
    if m and len(m.group(1)) == 1 and m.group(1) != "0":
        problems.append(
            Problem(
                NUMBER,
                f"Thông tin chung, Số ký hiệu '{so}': số dưới 10 phải thêm số 0 phía trước "
                f"('0{so[m.start(1) :]}', Nghị định 30/2020/NĐ-CP); văn bản sinh ra tự thêm số 0.",
            )
        )
    for u in plan.units:
        if u.code and u.code not in dup_units and not u.email.strip() and u.code in assigned:
            problems.append(Problem(NO_EMAIL, f"Đơn vị {u.code} – {u.name} có nhiệm vụ nhưng chưa có email."))
    return problems
