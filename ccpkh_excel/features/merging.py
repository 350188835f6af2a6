"""Merge: fold the units' returned form workbooks back into the master.

Every file gets one outcome — merged, merged with warnings, rejected, or superseded by a
later save of the same unit and period — with its reason. Rows whose locked cells were
changed (text edited, rows deleted, reordered or pasted over) are reported and not applied;
the rest of the file still merges. Returns are read with python-calamine; the master is
written through the store (`Master.save`: lock held from the first read, backup, temporary file).
"""

from __future__ import annotations

import io
import re
import zipfile
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from pathlib import Path

from ccpkh_excel.domain import signing, times
from ccpkh_excel.domain.periods import parse_period, period_key
from ccpkh_excel.domain.status import MERGED, MERGED_WARN, REJECTED, SENT, SUPERSEDED
from ccpkh_excel.domain.values import BLANK, cell_text, free_text, read_date, remembered
from ccpkh_excel.domain.vntext import clean, fold, thousands
from ccpkh_excel.errors import CcpkhError, MasterError, SourceError, library_failure
from ccpkh_excel.features.form_layout import (
    EXTRA_ROWS,
    EXTRA_TITLE,
    FIRST_ROW,
    FORM_HEADERS,
    FORM_SHEET,
    FORMAT,
    IDENTITY,
    META_SHEET,
    STATUSES,
    VERSION,
)
from ccpkh_excel.features.limits import Limits, open_checked
from ccpkh_excel.store import processes, xlsxfast
from ccpkh_excel.store.master import Master, hold
from ccpkh_excel.store.records import ExtraRow, Records, ReturnRow, SummaryRow

_STATUS_WORDS = {
    "Hoàn thành": (
        "hoan thanh",
        "da hoan thanh",
        "ht",
        "xong",
        "da xong",
        "hoan thanh 100",
        "da thuc hien xong",
        "hoan tat",
    ),
    "Đang thực hiện": (
        "dang thuc hien",
        "dang trien khai",
        "dth",
        "dang lam",
        "dang tien hanh",
        "da trien khai",
        "dang",
    ),
    "Chưa thực hiện": ("chua thuc hien", "chua trien khai", "cth", "chua lam", "chua", "chua bat dau"),
    "Tạm dừng": ("tam dung", "tam hoan", "dung", "tam ngung"),
}
_STATUS_KEYS = {k: s for s, keys in _STATUS_WORDS.items() for k in keys}


PROPS_MAX = 1024 * 1024  # the file's properties are a few KB; zipfile reads no more than declared


def normalize_status(value: object) -> str | None:
    """The canonical status for what a unit typed, "" for nothing, None when unknown."""
    text = clean(value)
    if not text:
        return ""
    if text in STATUSES:
        return text
    return _STATUS_KEYS.get(fold(text).replace("%", "").strip())


def _cell(row: list[object], i: int) -> object:
    return row[i] if i < len(row) else ""


@dataclass
class FileOutcome:
    path: Path
    outcome: str = REJECTED
    reason: str = ""
    unit: str = ""
    unit_name: str = ""
    period: str = ""
    saved: datetime | None = None
    rows: list[SummaryRow] = field(default_factory=list)  # for Tổng hợp
    extra: list[ExtraRow] = field(default_factory=list)  # for Nhiệm vụ phát sinh
    not_applied: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The file's name as stored: NFC, spaces collapsed (the same file under an NFD or
        double-spaced name is the same return)."""
        return _clean_cell(self.path.name)

    @property
    def failed(self) -> bool:
        return self.outcome == REJECTED or bool(self.not_applied)

    def reject(self, reason: str) -> FileOutcome:
        self.outcome, self.reason = REJECTED, reason
        return self


@dataclass
class MergeResult:
    master: Path
    files: list[FileOutcome]
    dry_run: bool = False
    backup: Path | None = None
    missing: list[tuple[str, str, str]] = field(default_factory=list)  # (unit, name, period) not returned
    as_of: date | None = None
    records: Records | None = None  # with save=False: the records to save, and the Thống kê selection
    stats: tuple[str, date] | None = None

    @property
    def exit_code(self) -> int:
        return 1 if any(f.failed for f in self.files) else 0


@dataclass
class _Context:
    plan_id: str
    units: dict[str, str]  # code -> name
    sent: set[tuple[str, str]]  # (unit, period) sent out
    period: str | None
    tasks: dict[str, int]  # code -> order
    secret: str = ""  # the plan's secret: forms are signed with it
    roles: dict[tuple[str, str], str] = field(default_factory=dict)  # (task, unit) -> role, from Phân công
    limits: Limits = field(default_factory=Limits.from_env)
    max_rows: int = 100_000  # rows a form may hold: its title, the most tasks a unit has, + 200 added


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files given, and the workbook files inside folders given (not their lock files)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.iterdir()):
                if (
                    f.is_file()
                    and f.suffix.lower() in (".xlsx", ".xlsm", ".xls")
                    and not f.name.startswith(("~$", "."))
                ):
                    out.append(f)
        else:
            out.append(p)
    return list(dict.fromkeys(out))


def read_return(path: Path, ctx: _Context) -> FileOutcome:
    """Check one returned file and read its rows; never raises for a bad file."""
    out = FileOutcome(path)
    try:
        return _read_return(path, ctx, out)
    except BaseException as exc:  # a damaged file must not stop the batch (a library's panic included)
        if not library_failure(exc):
            raise
        return out.reject(f"không đọc được tệp ({exc.__class__.__name__}); tệp có bị hỏng không?")


def _read_return(path: Path, ctx: _Context, out: FileOutcome) -> FileOutcome:
    from python_calamine import CalamineWorkbook

    suffix = path.suffix.lower()
    if not path.exists():
        return out.reject("không tìm thấy tệp.")
    if suffix in (".xlsm", ".xls"):
        return out.reject(
            f"phiếu phải là tệp .xlsx; không nhận tệp {suffix} (định dạng cũ hoặc có macro). Hãy mở phiếu gốc, điền và lưu .xlsx."
        )
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        return out.reject("tệp rỗng (0 byte).")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return out.reject("tệp có mật khẩu hoặc là định dạng Excel cũ; hãy gỡ mật khẩu, lưu lại .xlsx.")
    if not head.startswith(b"PK"):
        return out.reject("không phải tệp Excel .xlsx.")
    try:  # bounded before any library opens it: size, zip parts (bombs), parts, dimensions, styles
        with_formulas: set[str] = set()
        # the texts are measured on what python-calamine gives (`_longest_over`), exactly
        z, sheets = open_checked(path, [FORM_SHEET, META_SHEET], ctx.limits, ctx.max_rows, with_formulas, texts=False)
    except SourceError as exc:
        return out.reject(exc.reason)
    try:
        with z:
            names = set(z.namelist())
            if "xl/vbaProject.bin" in names:
                return out.reject("tệp chứa macro; không nhận. Hãy dùng phiếu gốc (.xlsx).")
            for part in ("docProps/custom.xml", "docProps/core.xml"):  # small parts, read unchecked below
                if part in names and z.getinfo(part).file_size > PROPS_MAX:
                    return out.reject(f"phần {part} lớn bất thường; không đọc.")
            props = xlsxfast.read_custom_props(z) if META_SHEET not in sheets else {}  # only without it
            out.saved = xlsxfast.read_modified(z)
            try:  # read now (the zip is open), used after the checks below: a failure counts there
                form_xml: bytes | None | Exception = _form_sheet_xml(z, sheets) if FORM_SHEET in with_formulas else None
            except Exception as exc:  # noqa: BLE001 - raised where the form is read, as before
                form_xml = exc
    except zipfile.BadZipFile:
        return out.reject("tệp bị hỏng, không mở được.")
    if out.saved is None:
        out.saved = times.from_timestamp(path.stat().st_mtime)
    wb = CalamineWorkbook.from_path(str(path))
    meta: dict[str, str] = {}
    macs: list[tuple[str, str]] = []  # (Mã NV, MAC) in the form's order
    head_keys = (*IDENTITY, "generated", "signature", "fingerprint")
    if META_SHEET in wb.sheet_names:
        for r in wb.get_sheet_by_name(META_SHEET).to_python(skip_empty_area=False):
            if len(r) >= 2 and r[0] not in (None, ""):
                k, v = str(r[0]), _meta_text(r[1])
                if k in head_keys:
                    meta[k] = v
                else:
                    macs.append((k, v))
    elif props.get("ccpkh_format"):
        meta = {k.removeprefix("ccpkh_"): v for k, v in props.items() if k.startswith("ccpkh_")}
    if meta.get("format") != FORMAT:
        return out.reject("không phải phiếu báo cáo do ccpkh-excel tạo (thiếu thông tin nhận dạng).")
    if meta.get("version") == "1":
        return out.reject(
            "phiếu theo mẫu cũ, chưa có chữ ký; không nhận. Hãy tạo lại phiếu kỳ này ('ccpkh-excel generate') "
            "và gửi lại cho đơn vị."
        )
    if meta.get("version") != VERSION:
        return out.reject(f"phiếu định dạng phiên bản {meta.get('version')}, công cụ chỉ đọc phiên bản {VERSION}.")
    if meta.get("plan") != ctx.plan_id:
        return out.reject(f"phiếu thuộc kế hoạch khác (mã {meta.get('plan')}, sổ này là {ctx.plan_id}).")
    if FORM_SHEET not in wb.sheet_names:
        return out.reject(f"thiếu sheet '{FORM_SHEET}'.")
    rows = wb.get_sheet_by_name(FORM_SHEET).to_python(skip_empty_area=False)
    too_long = _longest_over(rows, ctx.limits.max_cell_chars)
    if too_long:  # the limits check should have said so: what the reader gave is checked too
        return out.reject(too_long)
    _typed_formulas(form_xml, rows)
    rows = [r if len(r) >= _WIDTH else r + [""] * (_WIDTH - len(r)) for r in rows]  # r[c] for every column read
    exact = list(FORM_HEADERS)
    header = next((i for i, r in enumerate(rows[:30]) if r[:10] == exact), None)
    want = _FOLDED_HEADERS
    if header is None:  # retyped headers: compare leniently
        header = next((i for i, r in enumerate(rows[:30]) if [fold(_cell(r, c)) for c in range(10)] == want), None)
    if header is None:
        seen = {fold(_cell(r, c)) for r in rows[:30] for c in range(12)}
        missing = [h for h, k in zip(FORM_HEADERS, want, strict=True) if k not in seen]
        what = f"thiếu cột {', '.join(repr(m) for m in missing)}" if missing else "dòng tiêu đề bảng bị sửa"
        return out.reject(f"sheet '{FORM_SHEET}': {what}.")
    task_rows, extra_rows = _split_rows(rows[header + 1 :], header + 2)
    unit, period = meta.get("unit", ""), meta.get("period", "")
    if not macs:  # only the file's properties survived: the MACs are those of the rows as they stand
        macs = [
            (_locked(r)[0], signing.row_mac(ctx.secret, ctx.plan_id, unit, period, _locked(r))) for _, r in task_rows
        ]
    if not signing.same(signing.identity_mac(ctx.secret, meta, [m for _, m in macs]), meta.get("signature", "")):
        return out.reject(
            "chữ ký của phiếu không khớp: thông tin nhận dạng (đơn vị, kỳ, hạn) hoặc mã kiểm tra các dòng đã bị "
            "sửa, hoặc phiếu không do sổ này phát hành. Không nhận phiếu này; hãy dùng phiếu gốc."
        )
    if meta.get("rows") != str(len(macs)):
        return out.reject("phiếu thiếu hoặc thừa mã kiểm tra dòng; không nhận. Hãy dùng phiếu gốc.")
    out.unit = unit
    if out.unit not in ctx.units:
        return out.reject(f"đơn vị mã {out.unit} không có trong sheet Đơn vị của sổ.")
    out.unit_name = ctx.units[out.unit]
    try:
        out.period = parse_period(period).label
    except CcpkhError:
        return out.reject(f"kỳ báo cáo '{period}' không hợp lệ.")
    if ctx.period and out.period != ctx.period:
        return out.reject(f"phiếu kỳ {out.period}, đang tổng hợp kỳ {ctx.period}.")
    if (out.unit, out.period) not in ctx.sent:
        return out.reject(f"chưa phát hành phiếu kỳ {out.period} cho đơn vị {out.unit} từ sổ này.")
    _extra(extra_rows, out)
    _task_rows(task_rows, macs, ctx, out)
    try:
        due = date.fromisoformat(meta.get("due", ""))
    except ValueError:
        due = None
    if due and out.saved and out.saved.date() > due:
        out.warnings.append(f"nộp muộn: lưu ngày {out.saved:%d/%m/%Y}, hạn gửi lại {due:%d/%m/%Y}")
    out.outcome = MERGED_WARN if out.not_applied or out.warnings else MERGED
    return out


def _longest_over(rows: list[list[object]], cap: int) -> str | None:
    """Why the form is refused if python-calamine gave a text over `cap` characters (Excel's
    limit, which the master must keep), naming the cell; None when every text is within it."""
    if max(map(len, filter(str.__instancecheck__, chain.from_iterable(rows))), default=0) <= cap:  # in C
        return None
    i, j, n = next(
        (i, j, len(v)) for i, r in enumerate(rows) for j, v in enumerate(r) if type(v) is str and len(v) > cap
    )
    return (
        f"sheet '{FORM_SHEET}', ô {xlsxfast.col_letter(j + 1)}{i + 1}: {thousands(n)} ký tự, quá giới hạn "
        f"{thousands(cap)} của Excel; không đọc."
    )


def _form_sheet_xml(z: zipfile.ZipFile, sheets: dict[str, str]) -> bytes | None:
    """The form sheet's XML (bounded: the input limits were checked before), None without one.
    `sheets`: name → part, as the limits check found them."""
    part = sheets.get(FORM_SHEET)
    return z.read(part) if part else None


def _typed_formulas(data: bytes | None | Exception, rows: list[list[object]]) -> None:
    """Put back, as text, formulas a unit typed into the form in a program that saved no
    values for them ("=1+2" would otherwise be read as an empty cell). `data`: the form
    sheet's XML (`_form_sheet_xml`), or what reading it raised."""
    from defusedxml.ElementTree import iterparse

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    if isinstance(data, Exception):
        raise data
    if not data:
        return  # no formula at all (the limits check says so): the usual case, nothing read
    with io.BytesIO(data) as fh:
        for _, el in iterparse(fh):
            if el.tag != f"{ns}c":
                continue
            f, v = el.find(f"{ns}f"), el.find(f"{ns}v")
            if f is not None and f.text and (v is None or v.text in (None, "")):
                col, row = _ref(el.get("r", ""))
                if 0 < row <= len(rows):
                    line = rows[row - 1]
                    line.extend([""] * (col - len(line)))
                    if line[col - 1] in ("", None):
                        line[col - 1] = "=" + f.text
            el.clear()


def _ref(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"([A-Z]{1,3})(\d+)", ref)
    if not m:
        return 0, 0
    return xlsxfast.col_number(m.group(1)), int(m.group(2))


_FOLDED_HEADERS = [fold(h) for h in FORM_HEADERS]
_EXTRA_KEY = fold(EXTRA_TITLE)[:20]


def _meta_text(value: object) -> str:
    """`cell_text` of a cell of the form's _ccpkh sheet; a row MAC (64 hex digits) as it is."""
    if type(value) is str and value.isascii() and value.isalnum():
        return value
    return cell_text(value)


def _locked_text(value: object) -> str:
    return free_text(value).replace("\n", " ")


_locked_cell = remembered(_locked_text, limit=50_000)  # the same task texts in every unit's form


def _locked(r: list[object]) -> list[str]:
    """The locked cells of a task row as signed: Mã NV, STT, Nội dung, Vai trò, Thời gian."""
    lc = _locked_cell
    return [lc(r[0]), lc(r[1]), lc(r[2]), lc(r[3]), lc(r[4])]


_WIDTH = 12  # columns of a form row read by the merge (A…J, and the hidden due date)


_clean_cell = remembered(clean, limit=50_000)  # task codes, the same in every form; a return's name on each row
_fold_cell = remembered(fold, limit=50_000)
_code_text = remembered(free_text, limit=50_000)


def _split_rows(rows, first_excel_row) -> tuple[list[tuple[int, list]], list[tuple[int, list]]]:
    """(task rows, rows of the "Nhiệm vụ phát sinh" part), with their Excel row numbers.
    `rows` are at least `_WIDTH` cells wide."""
    tasks, extra, extra_mode = [], [], False
    blank = BLANK
    for n, r in enumerate(rows, start=first_excel_row):
        a = _clean_cell(r[0])
        if a:
            if not extra_mode and not a.upper().startswith("NHIỆM VỤ PHÁT SINH"):
                tasks.append((n, r))
                continue
            if _fold_cell(a).startswith(_EXTRA_KEY):
                extra_mode = True
                continue
        if not blank.issuperset(r[1:10]) and any(map(free_text, r[1:10])):
            extra.append((n, r))
    return tasks, extra


def _extra(rows, out: FileOutcome) -> None:
    """Tasks a unit added: to Nhiệm vụ phát sinh only, never into the plan's figures."""
    for n, r in rows:
        content = free_text(_cell(r, 2))
        if not content and not any(free_text(_cell(r, c)) for c in range(5, 10)):
            continue
        vals = _answers(r, n, out)
        out.extra.append(
            ExtraRow(out.unit, out.unit_name, out.period, free_text(_cell(r, 1)), content, *vals, out.name)
        )


def _task_rows(task_rows, macs: list[tuple[str, str]], ctx: _Context, out: FileOutcome) -> None:
    expected = {code: (i, mac) for i, (code, mac) in enumerate(macs)}
    candidates: list[tuple[int, int, list[object]]] = []  # (index in the form as sent, excel row, row)
    seen: set[str] = set()
    for n, r in task_rows:
        locked = _locked(r)
        code = locked[0]
        if code not in expected:
            out.not_applied.append(f"dòng {n}: mã '{code}' không có trong phiếu gốc")
        elif code in seen:
            out.not_applied.append(f"dòng {n}: {code} lặp lại (dòng bị chép đè)")
        elif not signing.same(
            signing.row_mac(ctx.secret, ctx.plan_id, out.unit, out.period, locked), expected[code][1]
        ):
            out.not_applied.append(f"dòng {n}: {code} bị sửa nội dung đã khóa")
        elif code not in ctx.tasks:
            out.not_applied.append(f"dòng {n}: mã {code} không có trong danh mục nhiệm vụ của sổ")
        elif (code, out.unit) not in ctx.roles:
            out.not_applied.append(
                f"dòng {n}: nhiệm vụ {code} không (còn) giao cho đơn vị {out.unit} (sheet Phân công)"
            )
        else:
            candidates.append((expected[code][0], n, r))
        seen.add(code)
    keep = _in_order(candidates)
    for idx, n, r in candidates:
        if (idx, n) not in keep:
            out.not_applied.append(f"dòng {n}: {free_text(_cell(r, 0))} bị đổi thứ tự")
    for code in expected:
        if code not in seen:
            out.not_applied.append(f"{code}: dòng bị xóa khỏi phiếu")
    unit, unit_name, period, saved, name = out.unit, out.unit_name, out.period, out.saved, out.name
    roles, rows = ctx.roles, out.rows
    for idx, n, r in candidates:
        if (idx, n) not in keep:
            continue
        code = _code_text(r[0])
        status, when, result, problems, proposals = _answers(r, n, out)
        role = roles[(code, unit)]  # the role is the plan's, never the file's
        rows.append(
            SummaryRow(code, unit, unit_name, role, period, status, when, result, problems, proposals, saved, name)
        )


def _in_order(candidates: list[tuple[int, int, list]]) -> set[tuple[int, int]]:
    """The longest run of rows still in their original relative order (n log n)."""
    tails: list[int] = []  # tails[k]: index into candidates of the smallest tail of a run of length k+1
    tail_idx: list[int] = []  # tail_idx[k]: that candidate's index in the form as sent
    prev = [-1] * len(candidates)
    for i, (idx, _, _) in enumerate(candidates):
        k = bisect_left(tail_idx, idx)
        if k > 0:
            prev[i] = tails[k - 1]
        if k == len(tails):
            tails.append(i)
            tail_idx.append(idx)
        else:
            tails[k] = i
            tail_idx[k] = idx
    out = set()
    i = tails[-1] if tails else -1
    while i >= 0:
        out.add((candidates[i][0], candidates[i][1]))
        i = prev[i]
    return out


_status_of = remembered(normalize_status, limit=10_000)  # a handful of words typed in every form
_date_of = remembered(read_date, limit=50_000)


def _answers(r: list[object], n: int, out: FileOutcome) -> list[object]:
    raw_status = r[5]
    status = _status_of(raw_status)
    if status is None:
        out.warnings.append(f"dòng {n}: trạng thái '{clean(raw_status)}' không hiểu được, để trống")
        status = ""
    when = _date_of(r[6])
    if when is False:
        out.warnings.append(f"dòng {n}: ngày hoàn thành '{clean(r[6])}' không đọc được, để trống")
        when = None
    if status == "Hoàn thành" and when is None:
        out.warnings.append(f"dòng {n}: đã hoàn thành nhưng chưa ghi ngày hoàn thành")
    return [status, when or "", free_text(r[7]), free_text(r[8]), free_text(r[9])]


# --- the whole batch ----------------------------------------------------------------------
def merge_returns(
    master: Master | Path,
    paths: Iterable[Path],
    dry_run: bool = False,
    period: str | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    wait: float = 0.0,
    save: bool = True,
) -> MergeResult:
    """Merge returned form workbooks into the master (nothing written on a dry run).

    `save=False` (for a caller holding the master that writes more in the same save, as
    `collect` does): the merged records are left in `result.records`/`result.stats`, unsaved."""
    now = times.local(now) if now else times.now()
    files = collect_files(paths)
    if not files:
        raise CcpkhError("Không có tệp phiếu nào để tổng hợp (cần tệp .xlsx hoặc thư mục chứa chúng).")
    if dry_run and not isinstance(master, Master):
        with processes.paused_gc():
            return _merge(Master.read(master), files, True, period, now, progress, save)
    with hold(master, wait) as m, processes.paused_gc():  # see paused_gc: the rows merged live on
        return _merge(m, files, dry_run, period, now, progress, save)


def _merge(m: Master, files: list[Path], dry_run: bool, period, now: datetime, progress, save: bool) -> MergeResult:
    plan = m.plan
    if not m.plan_id:
        raise MasterError("chưa có 'Mã kế hoạch'; chưa phát hành phiếu nào từ sổ này.", m.path)
    assignments = m.assignments
    ctx = _Context(
        plan_id=m.plan_id,
        units={u.code: u.name for u in plan.units},
        sent={(r.unit, r.period) for r in m.returns_sent() if r.unit},
        period=parse_period(period).label if period else None,
        tasks={t.code: i for i, t in enumerate(plan.tasks)},
        secret=m.secret,
        roles={(a.task, a.unit): a.role for a in assignments},
        max_rows=_form_rows(assignments),
    )
    # the record sheets (a province's Tổng hợp: seconds) are read while the workers read the returns
    outcomes = read_returns(files, ctx, progress, meanwhile=lambda: m.records)
    records = m.records
    if dry_run:  # the held master's records stay as they are: a later save must not write a trial
        records = Records(
            list(records.summary), list(records.returns), list(records.extra), list(records.log), list(records.mail)
        )
    _settle_duplicates(outcomes, records)
    result = MergeResult(m.path, outcomes, dry_run)
    _apply(records, outcomes, ctx, now)
    result.missing = [(r.unit, r.unit_name, r.period) for r in records.returns if r.outcome == SENT]
    result.as_of = now.date()
    if not dry_run:
        latest = max((o.period for o in outcomes if o.outcome in (MERGED, MERGED_WARN)), key=period_key, default=None)
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.outcome] = counts.get(o.outcome, 0) + 1
        m.log("Tổng hợp", [o.name for o in outcomes], ", ".join(f"{k}: {v}" for k, v in counts.items()))
        stats = (latest, now.date()) if latest else None
        if save:
            result.backup = m.save(records=records, stats=stats)
        else:
            result.records, result.stats = records, stats
    return result


def read_returns(
    files: list[Path],
    ctx: _Context,
    progress: Callable[[int, int], None] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[FileOutcome]:
    """`read_return` for every file, in the files' order: in `workers()` processes when there
    are enough files to gain from it (each file is read on its own; nothing is written). The
    context — with the plan's secret — is inherited by the forked workers, never pickled.
    `meanwhile`: work for this process while the workers read (see `processes.fork_map`).

    Where processes can be forked (Linux), every file is read in a worker process, one at
    least (`processes.guarded_map`): a file that makes a reading library abort its process
    takes only that worker with it — the file is refused by name and the others are read."""
    n = workers(len(files))
    chunk = max(1, min(64, len(files) // (n * 8)))
    outcomes = []
    apart = processes.can_fork()
    read = _read_in_worker if apart else _read_here
    for i, o in enumerate(processes.guarded_map(read, files, n, ctx, chunk, meanwhile, _crashed), start=1):
        outcomes.append(_from_worker(o) if apart else o)
        if progress:
            progress(i, len(files))
    return outcomes


def _crashed(path: Path, code: int | None) -> FileOutcome:
    how = f"tín hiệu {-code}" if code is not None and code < 0 else f"mã {code}"
    return FileOutcome(path).reject(
        f"thư viện đọc Excel dừng đột ngột khi mở tệp này ({how}): tệp hỏng hoặc bị sửa có chủ ý; không đọc. "
        "Hãy đề nghị đơn vị gửi lại phiếu gốc đã điền."
    )


WORKERS_ENV = processes.WORKERS_ENV
PARALLEL_FROM = 48  # files: below this, starting the processes costs more than it saves


def workers(files: int) -> int:
    """How many processes read `files` returns (`store.processes.workers`): CCPKH_WORKERS, else
    one per CPU from PARALLEL_FROM files on, where processes can be forked (Linux)."""
    return processes.workers(files, PARALLEL_FROM)


def _read_here(path: Path) -> FileOutcome:
    return read_return(path, processes.state())


def _read_in_worker(path: Path) -> FileOutcome:
    """In a worker: `read_return`, its rows as plain tuples (the row types are made at run
    time: pickle cannot name them)."""
    o = read_return(path, processes.state())
    o.rows = [tuple(r) for r in o.rows]
    o.extra = [tuple(r) for r in o.extra]
    return o


def _from_worker(o: FileOutcome) -> FileOutcome:
    o.rows = [SummaryRow._make(r) for r in o.rows]
    o.extra = [ExtraRow._make(r) for r in o.extra]
    return o


def _form_rows(assignments) -> int:
    per_unit: dict[str, int] = {}
    for a in assignments:
        per_unit[a.unit] = per_unit.get(a.unit, 0) + 1
    return FIRST_ROW + EXTRA_ROWS + max(per_unit.values(), default=0) + 200


def _when(o: FileOutcome) -> tuple:
    """Saved time (seconds, from the file) then the file's own modification time as tie-break."""
    try:
        mtime = o.path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return (o.saved or datetime.min, mtime)


def _settle_duplicates(outcomes: list[FileOutcome], records: Records) -> None:
    """Of two returns for one unit and period the one saved later wins (also against the master)."""
    best: dict[tuple[str, str], FileOutcome] = {}
    for o in outcomes:
        if o.outcome == REJECTED:
            continue
        k = (o.unit, o.period)
        if k in best:
            a, b = best[k], o
            later, earlier = (b, a) if _when(b) >= _when(a) else (a, b)
            earlier.outcome = SUPERSEDED
            earlier.reason = f"bị thay bởi {later.name} (lưu sau, lúc {later.saved:%d/%m/%Y %H:%M})"
            earlier.rows, earlier.extra, earlier.not_applied = [], [], []
            best[k] = later
        else:
            best[k] = o
    stored = {(r.unit, r.period): r for r in records.returns if r.outcome in (MERGED, MERGED_WARN)}
    for k, o in best.items():
        r = stored.get(k)
        if r and isinstance(r.saved, datetime) and o.saved and r.saved > o.saved:
            o.outcome = SUPERSEDED
            o.reason = f"sổ đã có bản lưu sau ({r.file}, lưu lúc {r.saved:%d/%m/%Y %H:%M})"
            o.rows, o.extra, o.not_applied = [], [], []


def _apply(records: Records, outcomes: list[FileOutcome], ctx: _Context, now: datetime) -> None:
    merged = [o for o in outcomes if o.outcome in (MERGED, MERGED_WARN)]
    done = {(o.unit, o.period) for o in merged}
    summary = [r for r in records.summary if (r.unit, r.period) not in done]
    for o in merged:
        summary.extend(o.rows)
    unit_order = {c: i for i, c in enumerate(ctx.units)}
    summary.sort(key=lambda r: (period_key(r.period), ctx.tasks.get(r.task, 10**9), unit_order.get(r.unit, 10**9)))
    records.summary = summary
    extra = [r for r in records.extra if (r.unit, r.period) not in done]
    for o in merged:
        extra.extend(o.extra)
    records.extra = extra
    # Theo dõi nộp: one row per unit and period, plus one per file not used
    returns = {(r.unit, r.period): r for r in records.returns if r.outcome not in (REJECTED, SUPERSEDED)}
    others = [r for r in records.returns if r.outcome in (REJECTED, SUPERSEDED)]
    for o in merged:
        old = returns.get((o.unit, o.period))
        same = old is not None and fold(old.file) == fold(o.name) and old.saved == o.saved
        received = old.received if same and old.received else now
        reason = "; ".join(o.not_applied + o.warnings)
        returns[(o.unit, o.period)] = ReturnRow(
            o.unit, o.unit_name, o.period, o.name, received, o.outcome, len(o.rows), o.saved, reason
        )
    seen_other = {(fold(r.file), fold(r.reason)) for r in others}
    for o in outcomes:
        if o.outcome in (REJECTED, SUPERSEDED) and (fold(o.name), fold(o.reason)) not in seen_other:
            others.append(ReturnRow(o.unit, o.unit_name, o.period, o.name, now, o.outcome, 0, o.saved or "", o.reason))
            seen_other.add((fold(o.name), fold(o.reason)))
    ordered = sorted(returns.values(), key=lambda r: (period_key(r.period), unit_order.get(r.unit, 10**9)))
    records.returns = ordered + others
