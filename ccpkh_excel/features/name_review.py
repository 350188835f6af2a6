"""Names read on import: settled, shown to the clerk, learned.

- `settle(table, directory)`: a sub-unit in parentheses moves to Ghi chú; in text read by OCR or
  from prose, a name that matches nothing is replaced by the one unit it clearly stands for —
  always with a warning (the import then exits 1); a deadline OCR confused is read again.
- `review_rows(...)`: the sheet *Kiểm tra nhập*: each task as read, how each name resolved,
  the page — a clerk verifies a scan against it in minutes.
- `accept_name(master, text, code)`: a spelling the clerk confirms becomes a Tên khác of the
  unit, so the next import resolves it exactly (`ccpkh-excel units accept`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ccpkh_excel.domain import deadlines
from ccpkh_excel.domain.plan import Task
from ccpkh_excel.domain.units import ALIAS, FUZZY, UNKNOWN, VAGUE, Directory, NameMatch, Unit, sub_units
from ccpkh_excel.domain.vntext import clean, fold
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.store.master import Master, hold
from ccpkh_excel.store.schema import Column, SheetSpec

CHECK_SHEET = SheetSpec(
    "Kiểm tra nhập",
    "KiemTraNhap",
    (
        Column("Nguồn", 30, key="where"),
        Column("Trang", 7, "int", key="page"),
        Column("STT", 7, key="stt"),
        Column("Nội dung (như đọc được)", 60, key="content"),
        Column("Chủ trì (như đọc được)", 28, key="lead_read"),
        Column("Chủ trì (nhận là)", 28, key="lead"),
        Column("Cách nhận chủ trì", 26, key="lead_how"),
        Column("Phối hợp (như đọc được)", 28, key="coop_read"),
        Column("Phối hợp (nhận là)", 28, key="coop"),
        Column("Cách nhận phối hợp", 26, key="coop_how"),
        Column("Thời gian (như đọc được)", 18, key="deadline_read"),
        Column("Hạn hoàn thành", 12, "date", key="due"),
        Column("Cần xem lại", 40, key="review"),
    ),
)
OCR = "OCR"
SCAN_MARK = "Đọc từ bản quét, cần đối chiếu với bản gốc"
ROLE_NAMES = {"lead": "chủ trì", "coop": "phối hợp"}


@dataclass
class Origin:
    """Where a task was read and its cells as read, before any name was settled."""

    where: str
    page: int | None = None
    lead: str = ""
    coop: str = ""
    deadline: str = ""


@dataclass
class Settled:
    """How one task's names resolved, for *Kiểm tra nhập*."""

    lead: list[NameMatch] = field(default_factory=list)
    coop: list[NameMatch] = field(default_factory=list)
    review: list[str] = field(default_factory=list)


def _place(origin) -> str:
    return f"trang {origin.page}, {origin.where}" if origin.page and "trang" not in origin.where else origin.where


def settle(table, directory: Directory) -> list[Settled]:
    """Settle the names and deadlines of an imported table in place; warnings go to
    `table.warnings`. Returns, task by task, how each name resolved."""
    tolerant = table.scanned or table.prose
    out = []
    for task, origin in zip(table.tasks, table.origins, strict=True):
        settled = Settled()
        for role in ("lead", "coop"):
            text, subs = sub_units(getattr(task, role), directory)
            matches = directory.explain(text) if text else []
            for k, m in enumerate(matches):
                if tolerant and m.how == ALIAS and len(m.codes) == 1 and m.label and m.text != m.label:
                    text = text.replace(m.text, m.label, 1)  # a learned OCR spelling: the unit's own name
                    subs = [x.replace(f"({m.text})", f"({m.label})") for x in subs]
                    continue
                if m.how != UNKNOWN or not tolerant:
                    continue
                guess = directory.guess(m.text)
                if guess is None:
                    continue
                text = text.replace(m.text, guess.label, 1)
                subs = [x.replace(f"({m.text})", f"({guess.label})") for x in subs]
                matches[k] = guess
                msg = (
                    f"{_place(origin)}: cơ quan {ROLE_NAMES[role]} '{m.text}' được hiểu là '{guess.label}' "
                    f'(gần đúng {guess.score:g}%); nếu đúng, chạy: ccpkh-excel units accept <sổ> "{m.text}" '
                    f"{guess.codes[0] if len(guess.codes) == 1 else '<mã>'}"
                )
                table.warnings.append(msg)
                settled.review.append(f"'{m.text}' → '{guess.label}' (gần đúng {guess.score:g}%)")
            for m in matches:
                if m.how == UNKNOWN:
                    hint = f", gần nhất: '{m.label}'" if m.label else ""
                    settled.review.append(f"'{m.text}' không nhận ra{hint}")  # check_plan reports it too
            if subs:
                note = "Đầu mối: " + "; ".join(subs)
                task.note = f"{task.note}; {note}" if task.note else note
            setattr(task, role, text)
            setattr(settled, role, matches)
        if table.scanned:
            _settle_deadline(task, origin, table, settled)
            if SCAN_MARK not in task.note:
                task.note = f"{task.note}; {SCAN_MARK}" if task.note else SCAN_MARK
        out.append(settled)
    return out


def _settle_deadline(task: Task, origin, table, settled: Settled) -> None:
    if deadlines.parse_deadline(task.deadline).kind != deadlines.UNKNOWN:
        return
    fixed = deadlines.ocr_deadline(task.deadline)
    if fixed != task.deadline and deadlines.parse_deadline(fixed).kind != deadlines.UNKNOWN:
        settled.review.append(f"thời gian '{task.deadline}' đọc là '{fixed}'")
        table.warnings.append(f"{_place(origin)}: thời gian hoàn thành '{task.deadline}' được đọc là '{fixed}'.")
        task.deadline = fixed
    else:
        table.warnings.append(f"{_place(origin)}: không đọc được thời gian hoàn thành '{task.deadline}'.")


def _how(matches: list[NameMatch], scanned: bool) -> str:
    parts = []
    for m in matches:
        if m.how == FUZZY:
            parts.append(f"{FUZZY} {m.score:g}%")
        elif m.how in (UNKNOWN, VAGUE):
            parts.append(m.how)
        else:
            parts.append(m.how)
    if scanned and parts:
        parts.append(OCR)
    return "; ".join(dict.fromkeys(parts))


def _names(matches: list[NameMatch], directory: Directory) -> str:
    out = []
    for m in matches:
        if len(m.codes) == 1:
            out.append(f"{m.codes[0]} – {directory.by_code[m.codes[0]].name}")
        elif m.codes:
            out.append(f"{m.label} ({len(m.codes)} đơn vị)")
    return "; ".join(out)


def review_rows(table, tasks: list[Task], settled: list[Settled], directory: Directory) -> list[list]:
    """The rows of *Kiểm tra nhập* for the tasks just imported (with their Hạn hoàn thành)."""
    rows = []
    for task, origin, s in zip(tasks, table.origins, settled, strict=True):
        review = list(s.review)
        if table.scanned:
            review.insert(0, "đọc từ bản quét: đối chiếu nội dung với bản gốc")
            unsure = table.uncertain.get(origin.page or 0, set())
            words = [
                w for w in " ".join([task.content, origin.lead, origin.coop, origin.deadline]).split() if w in unsure
            ]
            if words:
                review.append("chữ đọc không chắc: " + ", ".join(dict.fromkeys(words)))
        rows.append(
            [
                origin.where,
                origin.page,
                task.stt,
                task.content,
                origin.lead,
                _names(s.lead, directory),
                _how(s.lead, table.scanned),
                origin.coop,
                _names(s.coop, directory),
                _how(s.coop, table.scanned),
                origin.deadline,
                task.due,
                "; ".join(review),
            ]
        )
    return rows


# --- learning ---------------------------------------------------------------------------------
@dataclass
class Accepted:
    unit: Unit
    spelling: str
    added: bool  # False when the unit already had it


def learn(plan, text: str, code: str, where: str = "") -> Accepted:
    """Add `text` to the Tên khác of unit `code` in `plan` (in memory).

    Refused (CcpkhError) when the code is unknown, or when the spelling already names another unit."""
    spelling = clean(text)
    if not spelling:
        raise CcpkhError("tên cần ghi nhận đang trống.")
    unit = next((u for u in plan.units if u.code == clean(code)), None)
    if unit is None:
        raise CcpkhError(f"không có đơn vị mã '{clean(code)}' trong sheet Đơn vị{where}.")
    codes = plan.directory().lookup(spelling)
    if codes and codes != [unit.code]:
        names = ", ".join(codes)
        raise CcpkhError(f"'{spelling}' đã là tên của đơn vị khác ({names}); không ghi nhận cho {unit.code}.")
    if fold(spelling) in {fold(n) for n in [unit.name, *unit.aliases]}:
        return Accepted(unit, spelling, False)
    unit.aliases.append(spelling)
    return Accepted(unit, spelling, True)


def accept_name(master: Master | Path, text: str, code: str, wait: float = 0.0) -> Accepted:
    """Add `text` to the Tên khác of unit `code`, so imports resolve it exactly from now on.

    Refused (CcpkhError) when the code is unknown, or when the spelling already names another unit."""
    with hold(master, wait) as m:
        plan = m.plan
        done = learn(plan, text, code, f" của {m.path.name}")
        if done.added:
            m.log("Ghi nhận tên", [done.spelling], f"thêm vào Tên khác của {done.unit.code} – {done.unit.name}")
            m.save(plan=plan)
        return done


# --- the names `check` asks the clerk to pick a unit for (Excel: a dropdown) -------------------------
NAME_SHEET = SheetSpec(
    "Tên cần xác nhận",
    "TenCanXacNhan",
    (
        Column("Tên đọc được", 40, key="name"),
        Column("Vai trò", 12, key="role"),
        Column("Nhiệm vụ", 22, key="tasks"),
        Column("Gợi ý", 40, key="suggestion"),
        Column("Mã đơn vị (chọn)", 18, key="code", choices="'Đơn vị'!$A$2:$A$5000"),
    ),
)


def unresolved_rows(plan) -> list[list]:
    """One row per name no unit answers to (with the tasks that write it), for NAME_SHEET."""
    from ccpkh_excel.domain.plan import resolve_task

    directory = plan.directory()
    found: dict[str, list] = {}
    for t in plan.tasks:
        r = resolve_task(t, directory)
        for role, res in (("chủ trì", r.lead), ("phối hợp", r.coop)):
            for u in res.unresolved:
                row = found.setdefault(u.text, [u.text, role, [], "", ""])
                if role not in row[1]:
                    row[1] = f"{row[1]}, {role}"
                if t.code not in row[2]:
                    row[2].append(t.code)
                if not row[3]:
                    guess = directory.guess(u.text)
                    if guess is not None and len(guess.codes) == 1:
                        row[3] = f"{guess.codes[0]} – {guess.label}"
                    elif u.suggestion and (codes := directory.lookup(u.suggestion)) and len(codes) == 1:
                        row[3] = f"{codes[0]} – {u.suggestion}"
    return [[name, role, ", ".join(tasks), hint, code] for name, role, tasks, hint, code in found.values()]


def learn_picks(plan, rows) -> tuple[list[Accepted], list[str]]:
    """Learn the units the clerk picked in NAME_SHEET ("SNV" or "SNV – Sở Nội vụ"); what could
    not be learned comes back as messages."""
    learned, refused = [], []
    for row in rows:
        code = clean(str(row.code or "")).split(" ")[0].strip(" –-")
        if not code or not clean(row.name):
            continue
        try:
            done = learn(plan, row.name, code)
        except CcpkhError as exc:
            refused.append(f"'{row.name}': {exc}")
            continue
        if done.added:
            learned.append(done)
    return learned, refused


def suggestions(table, directory: Directory) -> list[tuple[str, NameMatch | None]]:
    """The names an import could not resolve exactly, each with the unit it may be (or None),
    once each — what `import --interactive` asks about."""
    seen: dict[str, NameMatch | None] = {}
    for origin in table.origins:
        for text in (origin.lead, origin.coop):
            for m in directory.explain(text) if text else []:
                if m.how == UNKNOWN and m.text not in seen:
                    seen[m.text] = directory.guess(m.text) or _closest(directory, m)
    return list(seen.items())


def _closest(directory: Directory, m: NameMatch) -> NameMatch | None:
    if not m.label:
        return None
    codes = directory.lookup(m.label)
    return NameMatch(m.text, codes, FUZZY, m.label, 0.0) if codes else None
