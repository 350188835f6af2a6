"""Merge: fold the units' returned report workbooks back into the master.

Every file gets one outcome — merged, merged with warnings, rejected, or superseded by a
later save of the same unit and period — with its reason. Rows whose locked cells were
changed (text edited, rows deleted, reordered or pasted over) are reported and not applied;
the rest of the file still merges. Returns are read with python-calamine; the master is
written by `records.write_records` (backup, temporary file, lock).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from ccpkh_excel.store import xlsxfast
from ccpkh_excel.domain.plan import PLAN_ID
from ccpkh_excel.errors import CcpkhError, MasterError
from ccpkh_excel.domain.periods import parse_period, period_key
from ccpkh_excel.store.records import Records, log_row, master_lock, read_records, write_records
from ccpkh_excel.features.forms import (
    EXTRA_TITLE,
    FORMAT,
    META_SHEET,
    REPORT_HEADERS,
    REPORT_SHEET,
    SENT,
    STATUSES,
    VERSION,
    fingerprint,
    row_hash,
)
from ccpkh_excel.domain.vntext import clean, clean_text, fold

MERGED = "Đã tổng hợp"
MERGED_WARN = "Đã tổng hợp, có cảnh báo"
REJECTED = "Bị từ chối"
SUPERSEDED = "Không dùng (có bản lưu sau)"

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


def normalize_status(value: object) -> str | None:
    """The canonical status for what a unit typed, "" for nothing, None when unknown."""
    text = clean(value)
    if not text:
        return ""
    if text in STATUSES:
        return text
    return _STATUS_KEYS.get(fold(text).replace("%", "").strip())


def read_date(value: object) -> date | None | bool:
    """A date from a cell: a real date, an Excel serial or text like 15/3/2026.
    Returns None for empty, False when it cannot be read."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and 20000 < value < 80000:
        return date(1899, 12, 30) + timedelta(days=int(value))
    text = clean(value)
    if m := re.fullmatch(r"(?:ngày\s*)?(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})", text, re.IGNORECASE):
        d, mth, y = (int(g) for g in m.groups())
        y = y + 2000 if y < 100 else y
        try:
            return date(y, mth, d)
        except ValueError:
            return False
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        try:
            return date(*(int(g) for g in m.groups()))
        except ValueError:
            return False
    return False


def _text(value: object) -> str:
    """A free-text answer as stored: NFC, trimmed, its own line breaks kept."""
    if value in (None, ""):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime, date)):
        return f"{value:%d/%m/%Y}"
    return clean_text(value)


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
    rows: list[list[object]] = field(default_factory=list)  # for Tổng hợp
    extra: list[list[object]] = field(default_factory=list)  # for Nhiệm vụ phát sinh
    not_applied: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.outcome == REJECTED or bool(self.not_applied)

    def reject(self, reason: str) -> FileOutcome:
        self.outcome, self.reason = REJECTED, reason
        return self


@dataclass
class MergeReport:
    master: Path
    files: list[FileOutcome]
    dry_run: bool = False
    backup: Path | None = None
    missing: list[tuple[str, str, str]] = field(default_factory=list)  # (unit, name, period) not returned
    as_of: date | None = None

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
    except Exception as exc:  # noqa: BLE001 - a damaged file must not stop the batch
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
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "xl/vbaProject.bin" in names:
                return out.reject("tệp chứa macro; không nhận. Hãy dùng phiếu gốc (.xlsx).")
            props = xlsxfast.read_custom_props(z)
            out.saved = xlsxfast.read_modified(z)
    except zipfile.BadZipFile:
        return out.reject("tệp bị hỏng, không mở được.")
    if out.saved is None:
        out.saved = datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)
    wb = CalamineWorkbook.from_path(str(path))
    meta: dict[str, str] = {}
    hashes: list[tuple[str, str]] = []
    if META_SHEET in wb.sheet_names:
        head_keys = ("format", "version", "plan", "unit", "period", "fingerprint", "generated", "rows", "due")
        for r in wb.get_sheet_by_name(META_SHEET).to_python(skip_empty_area=False):
            if len(r) >= 2 and r[0] not in (None, ""):
                k, v = str(r[0]), str(r[1])
                if k in head_keys:
                    meta[k] = v
                else:
                    hashes.append((k, v))
    elif props.get("ccpkh_format"):
        meta = {k.removeprefix("ccpkh_"): v for k, v in props.items() if k.startswith("ccpkh_")}
    if meta.get("format") != FORMAT:
        return out.reject("không phải phiếu báo cáo do ccpkh-excel tạo (thiếu thông tin nhận dạng).")
    if meta.get("version") != VERSION:
        return out.reject(f"phiếu định dạng phiên bản {meta.get('version')}, công cụ chỉ đọc phiên bản {VERSION}.")
    if meta.get("plan") != ctx.plan_id:
        return out.reject(f"phiếu thuộc kế hoạch khác (mã {meta.get('plan')}, sổ này là {ctx.plan_id}).")
    out.unit = meta.get("unit", "")
    if out.unit not in ctx.units:
        return out.reject(f"đơn vị mã {out.unit} không có trong sheet Đơn vị của sổ.")
    out.unit_name = ctx.units[out.unit]
    try:
        out.period = parse_period(meta.get("period", "")).label
    except CcpkhError:
        return out.reject(f"kỳ báo cáo '{meta.get('period')}' không hợp lệ.")
    if ctx.period and out.period != ctx.period:
        return out.reject(f"phiếu kỳ {out.period}, đang tổng hợp kỳ {ctx.period}.")
    if (out.unit, out.period) not in ctx.sent:
        return out.reject(f"chưa phát hành phiếu kỳ {out.period} cho đơn vị {out.unit} từ sổ này.")
    if REPORT_SHEET not in wb.sheet_names:
        return out.reject(f"thiếu sheet '{REPORT_SHEET}'.")
    rows = wb.get_sheet_by_name(REPORT_SHEET).to_python(skip_empty_area=False)
    exact = list(REPORT_HEADERS)
    header = next((i for i, r in enumerate(rows[:30]) if list(r[:10]) == exact), None)
    want = [fold(h) for h in REPORT_HEADERS]
    if header is None:  # retyped headers: compare leniently
        header = next((i for i, r in enumerate(rows[:30]) if [fold(_cell(r, c)) for c in range(10)] == want), None)
    if header is None:
        seen = {fold(_cell(r, c)) for r in rows[:30] for c in range(12)}
        missing = [h for h, k in zip(REPORT_HEADERS, want, strict=True) if k not in seen]
        what = f"thiếu cột {', '.join(repr(m) for m in missing)}" if missing else "dòng tiêu đề bảng bị sửa"
        return out.reject(f"sheet '{REPORT_SHEET}': {what}.".replace("'", "'"))
    _rows(rows[header + 1 :], header + 2, meta, hashes, ctx, out)
    try:
        due = date.fromisoformat(meta.get("due", ""))
    except ValueError:
        due = None
    if due and out.saved and out.saved.date() > due:
        out.warnings.append(f"nộp muộn: lưu ngày {out.saved:%d/%m/%Y}, hạn gửi lại {due:%d/%m/%Y}")
    if out.not_applied or out.warnings:
        out.outcome = MERGED_WARN
    else:
        out.outcome = MERGED
    return out


def _rows(rows, first_excel_row, meta, hashes, ctx: _Context, out: FileOutcome) -> None:
    expected = {code: (i, h) for i, (code, h) in enumerate(hashes)}
    task_rows: list[tuple[int, list[object]]] = []
    extra_mode = False
    for n, r in enumerate(rows, start=first_excel_row):
        a = clean(_cell(r, 0))
        if a and not extra_mode and not a.upper().startswith("NHIỆM VỤ PHÁT SINH"):
            task_rows.append((n, r))
            continue
        if fold(a).startswith(fold(EXTRA_TITLE)[:20]):
            extra_mode = True
            continue
        if any(_text(_cell(r, c)) for c in range(1, 10)):
            content = _text(_cell(r, 2))
            if not content and not any(_text(_cell(r, c)) for c in range(5, 10)):
                continue
            vals = _answers(r, n, out)
            out.extra.append([out.unit, out.unit_name, out.period, _text(_cell(r, 1)), content, *vals, out.path.name])
    # which rows are untouched: known code, same locked text, in the original order
    candidates: list[tuple[int, int, list[object]]] = []  # (expected index, excel row, row)
    seen: set[str] = set()
    locked_rows = []
    for n, r in task_rows:
        locked = [_text(_cell(r, c)).replace("\n", " ") for c in range(5)]
        locked_rows.append(locked)
        code = locked[0]
        if hashes:
            if code not in expected:
                out.not_applied.append(f"dòng {n}: mã '{code}' không có trong phiếu gốc")
            elif code in seen:
                out.not_applied.append(f"dòng {n}: {code} lặp lại (dòng bị chép đè)")
            elif row_hash(locked) != expected[code][1]:
                out.not_applied.append(f"dòng {n}: {code} bị sửa nội dung đã khóa")
            else:
                candidates.append((expected[code][0], n, r))
            seen.add(code)
        else:
            candidates.append((len(candidates), n, r))
    if not hashes:  # only the document properties survived: all or nothing
        if fingerprint(ctx.plan_id, out.unit, out.period, locked_rows) != meta.get("fingerprint"):
            out.not_applied.extend(f"dòng {n}: không đối chiếu được với phiếu gốc" for _, n, _ in candidates)
            return
    keep = _in_order(candidates)
    for idx, n, r in candidates:
        if (idx, n) not in keep:
            out.not_applied.append(f"dòng {n}: {_text(_cell(r, 0))} bị đổi thứ tự")
    for code in expected:
        if code not in seen:
            out.not_applied.append(f"{code}: dòng bị xóa khỏi phiếu")
    for idx, n, r in candidates:
        if (idx, n) not in keep:
            continue
        code = _text(_cell(r, 0))
        vals = _answers(r, n, out)
        role = _text(_cell(r, 3))
        out.rows.append([code, out.unit, out.unit_name, role, out.period, *vals, out.saved, out.path.name])


def _in_order(candidates: list[tuple[int, int, list]]) -> set[tuple[int, int]]:
    """The longest run of rows still in their original relative order."""
    seq = [c[0] for c in candidates]
    n = len(seq)
    best = [1] * n
    prev = [-1] * n
    for i in range(n):
        for j in range(i):
            if seq[j] < seq[i] and best[j] + 1 > best[i]:
                best[i], prev[i] = best[j] + 1, j
    if not n:
        return set()
    i = max(range(n), key=lambda k: best[k])
    out = set()
    while i >= 0:
        out.add((candidates[i][0], candidates[i][1]))
        i = prev[i]
    return out


def _answers(r: list[object], n: int, out: FileOutcome) -> list[object]:
    raw_status = _cell(r, 5)
    status = normalize_status(raw_status)
    if status is None:
        out.warnings.append(f"dòng {n}: trạng thái '{clean(raw_status)}' không hiểu được, để trống")
        status = ""
    when = read_date(_cell(r, 6))
    if when is False:
        out.warnings.append(f"dòng {n}: ngày hoàn thành '{clean(_cell(r, 6))}' không đọc được, để trống")
        when = None
    if status == "Hoàn thành" and when is None:
        out.warnings.append(f"dòng {n}: đã hoàn thành nhưng chưa ghi ngày hoàn thành")
    return [status, when or "", _text(_cell(r, 7)), _text(_cell(r, 8)), _text(_cell(r, 9))]


# --- the whole batch ----------------------------------------------------------------------
def merge_returns(
    master: Path,
    paths: Iterable[Path],
    dry_run: bool = False,
    period: str | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MergeReport:
    """Merge returned report workbooks into the master (nothing written on a dry run)."""
    from ccpkh_excel.store.master import _calamine, plan_from_workbook

    master = Path(master)
    now = (now or datetime.now()).replace(microsecond=0)
    files = collect_files(paths)
    if not files:
        raise CcpkhError("Không có tệp phiếu nào để tổng hợp (cần tệp .xlsx hoặc thư mục chứa chúng).")
    wb = _calamine(master)
    plan = plan_from_workbook(wb, master)
    records = read_records(master, wb)
    plan_id = str(plan.info.get(PLAN_ID) or "")
    if not plan_id:
        raise MasterError("chưa có 'Mã kế hoạch'; chưa phát hành phiếu nào từ sổ này.", master)
    ctx = _Context(
        plan_id=plan_id,
        units={u.code: u.name for u in plan.units},
        sent={(str(r[0]), str(r[2])) for r in records.returns if r[0]},
        period=parse_period(period).label if period else None,
        tasks={t.code: i for i, t in enumerate(plan.tasks)},
    )
    outcomes = []
    for i, f in enumerate(files, start=1):
        outcomes.append(read_return(f, ctx))
        if progress:
            progress(i, len(files))
    _settle_duplicates(outcomes, records)
    report = MergeReport(master, outcomes, dry_run)
    _apply(records, outcomes, ctx, now)
    report.missing = [(str(r[0]), str(r[1]), str(r[2])) for r in records.returns if r[5] == SENT]
    report.as_of = now.date()
    if not dry_run:
        latest = max((o.period for o in outcomes if o.outcome in (MERGED, MERGED_WARN)), key=period_key, default=None)
        stats = (latest, now.date()) if latest else None
        with master_lock(master):
            report.backup = write_records(master, records, {t.code: t.due for t in plan.tasks}, stats)
    return report


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
            earlier.reason = f"bị thay bởi {later.path.name} (lưu sau, lúc {later.saved:%d/%m/%Y %H:%M})"
            earlier.rows, earlier.extra, earlier.not_applied = [], [], []
            best[k] = later
        else:
            best[k] = o
    stored = {(str(r[0]), str(r[2])): r for r in records.returns if r[5] in (MERGED, MERGED_WARN)}
    for k, o in best.items():
        r = stored.get(k)
        if r and isinstance(r[7], datetime) and o.saved and r[7] > o.saved:
            o.outcome = SUPERSEDED
            o.reason = f"sổ đã có bản lưu sau ({r[3]}, lưu lúc {r[7]:%d/%m/%Y %H:%M})"
            o.rows, o.extra, o.not_applied = [], [], []


def _apply(records: Records, outcomes: list[FileOutcome], ctx: _Context, now: datetime) -> None:
    merged = [o for o in outcomes if o.outcome in (MERGED, MERGED_WARN)]
    done = {(o.unit, o.period) for o in merged}
    summary = [r for r in records.summary if (str(r[1]), str(r[4])) not in done]
    for o in merged:
        summary.extend(o.rows)
    unit_order = {c: i for i, c in enumerate(ctx.units)}
    summary.sort(
        key=lambda r: (period_key(str(r[4])), ctx.tasks.get(str(r[0]), 10**9), unit_order.get(str(r[1]), 10**9))
    )
    records.summary = summary
    extra = [r for r in records.extra if (str(r[0]), str(r[2])) not in done]
    for o in merged:
        extra.extend(o.extra)
    records.extra = extra
    # Theo dõi nộp: one row per unit and period, plus one per file not used
    returns = {(str(r[0]), str(r[2])): r for r in records.returns if r[5] not in (REJECTED, SUPERSEDED)}
    others = [r for r in records.returns if r[5] in (REJECTED, SUPERSEDED)]
    for o in merged:
        old = returns.get((o.unit, o.period))
        same = old is not None and old[3] == o.path.name and old[7] == o.saved
        received = old[4] if same and old[4] else now
        reason = "; ".join(o.not_applied + o.warnings)
        returns[(o.unit, o.period)] = [
            o.unit,
            o.unit_name,
            o.period,
            o.path.name,
            received,
            o.outcome,
            len(o.rows),
            o.saved,
            reason,
        ]
    seen_other = {(str(r[3]), str(r[8])) for r in others}
    for o in outcomes:
        if o.outcome in (REJECTED, SUPERSEDED) and (o.path.name, o.reason) not in seen_other:
            others.append([o.unit, o.unit_name, o.period, o.path.name, now, o.outcome, 0, o.saved or "", o.reason])
            seen_other.add((o.path.name, o.reason))
    ordered = sorted(returns.values(), key=lambda r: (period_key(str(r[2])), unit_order.get(str(r[0]), 10**9)))
    records.returns = ordered + others
    counts = {}
    for o in outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    summary_text = ", ".join(f"{k}: {v}" for k, v in counts.items())
    records.log.append(log_row("Tổng hợp", [o.path.name for o in outcomes], summary_text, now))
