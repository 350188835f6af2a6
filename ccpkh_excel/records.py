"""The record sheets of the master — Tổng hợp, Theo dõi nộp, Nhiệm vụ phát sinh, Nhật ký —
read with python-calamine and written back fast: their worksheet XML is regenerated and the
master re-zipped with every other part untouched, through a temporary file, after a
timestamped backup, under a lock; refused while the master is open in Excel.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import socket
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from . import xlsxfast
from .errors import MasterError, MasterLockedError
from .master import (
    EXTRA,
    LOG,
    RECORD_SHEETS,
    RETURNS,
    SUMMARY,
    SUMMARY_STORED,
    SheetSpec,
    _calamine,
    ensure_not_open,
    sheet_records,
)
from .vntext import clean, clean_text

BACKUP_DIR = "sao_luu"
STATS_SHEET = "Thống kê"


@dataclass
class Records:
    """Rows of the record sheets, each a list of values in the sheet's column order."""

    summary: list[list[object]] = field(default_factory=list)
    returns: list[list[object]] = field(default_factory=list)
    extra: list[list[object]] = field(default_factory=list)
    log: list[list[object]] = field(default_factory=list)

    def by_spec(self) -> dict[str, list[list[object]]]:
        return {SUMMARY.name: self.summary, RETURNS.name: self.returns, EXTRA.name: self.extra, LOG.name: self.log}


def _value(v: object, kind: str) -> object:
    if v is None or v == "":
        return ""
    if kind in ("date", "datetime"):
        if isinstance(v, datetime):
            v = (v + timedelta(milliseconds=500)).replace(microsecond=0)  # serials are not exact
            return v if kind == "datetime" else v.date()
        if isinstance(v, date):
            return v
        return clean(v)
    if kind == "int":
        try:
            return int(float(v))
        except (TypeError, ValueError):
            return clean(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return clean_text(v) if isinstance(v, str) else str(v)


def read_records(path: Path, wb=None) -> Records:
    path = Path(path)
    wb = wb or _calamine(path)
    out = Records()
    for spec, rows in zip(RECORD_SHEETS, (out.summary, out.returns, out.extra, out.log), strict=True):
        cols = spec.columns[:SUMMARY_STORED] if spec is SUMMARY else spec.columns
        for rec in sheet_records(wb, spec, path, required=False):
            rows.append([_value(rec[c.header], c.kind) for c in cols])
    return out


# --- lock and backup --------------------------------------------------------------------
def _lock_path(path: Path) -> Path:
    return path.parent / f".{path.name}.ccpkh-lock"


@contextmanager
def master_lock(path: Path):
    """Hold the master for one run; a second run is refused while the first holds it."""
    path = Path(path)
    lock = _lock_path(path)
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        info = lock.read_text(encoding="utf-8", errors="replace").split("\n")
        if len(info) >= 2 and info[0] == socket.gethostname() and info[1].isdigit() and not _alive(int(info[1])):
            lock.unlink(missing_ok=True)  # left by a run that died
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        else:
            who = info[2] if len(info) > 2 else "?"
            raise MasterLockedError(
                f"đang được một lần chạy khác giữ (người chạy: {who}). Chờ lần chạy đó xong rồi thử lại; "
                f"nếu chắc không còn ai chạy, xóa tệp {lock.name}.",
                path,
            ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"{socket.gethostname()}\n{os.getpid()}\n{_user()}\n{datetime.now():%d/%m/%Y %H:%M:%S}\n")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some systems
        return "?"


def backup(path: Path, now: datetime | None = None) -> Path:
    """Copy the master to sao_luu/<name>-YYYYmmdd-HHMMSS.xlsx beside it."""
    now = now or datetime.now()
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    target = folder / f"{path.stem}-{now:%Y%m%d-%H%M%S}{path.suffix}"
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{now:%Y%m%d-%H%M%S}-{n}{path.suffix}"
        n += 1
    shutil.copy2(path, target)
    return target


# --- writing -----------------------------------------------------------------------------
_STYLE_ROW = re.compile(r'<row r="(\d+)"[^>]*>(.*?)</row>', re.S)


def _column_styles(sheet_xml: str, ncol: int) -> tuple[list[int | None], list[int | None]]:
    """Header and body style of each column, read from rows 1 and 2 of the sheet."""
    styles = xlsxfast.styles_of(sheet_xml)
    head = [styles.get(f"{xlsxfast.col_letter(i)}1") for i in range(1, ncol + 1)]
    body = [styles.get(f"{xlsxfast.col_letter(i)}2") for i in range(1, ncol + 1)]
    return head, body


def render_sheet(sheet_xml: str, spec: SheetSpec, rows: list[list[object]]) -> str:
    """The sheet's XML with its rows replaced by `rows` (header kept, styles reused)."""
    ncol = len(spec.columns)
    head, body = _column_styles(sheet_xml, ncol)
    prefix, suffix = xlsxfast.split_sheet(sheet_xml)
    parts = ["<sheetData>", xlsxfast.row(1, spec.headers, head)]
    data = rows or [[""] * ncol]  # a styled blank row keeps the styles for next time
    for r, values in enumerate(data, start=2):
        parts.append(xlsxfast.row(r, values, body))
    parts.append("</sheetData>")
    last = len(data) + 1
    ref = f"A1:{xlsxfast.col_letter(ncol)}{last}"
    prefix = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', prefix)
    suffix = re.sub(r'<autoFilter ref="[^"]*"', f'<autoFilter ref="{ref}"', suffix)
    return prefix + "".join(parts) + suffix


def summary_rows(rows: list[list[object]], dues: dict[str, date | None]) -> list[list[object]]:
    """Tổng hợp rows as written: the stored columns, the task's due date, the live evaluation."""
    from .status import row_formula

    return [[*r[:SUMMARY_STORED], dues.get(str(r[0])) or "", row_formula(n)] for n, r in enumerate(rows, start=2)]


def write_records(
    path: Path,
    records: Records,
    dues: dict[str, date | None],
    stats: tuple[str, date] | None = None,
) -> Path:
    """Write the record sheets into the master: backup, temporary file, move into place.

    `dues` gives each task's due date for Tổng hợp; `stats` (period, as-of date) is put in
    Thống kê's selection cells. Returns the backup's path. The caller holds `master_lock`.
    """
    path = Path(path)
    ensure_not_open(path)
    parts = xlsxfast.read_parts(path)
    sheets = xlsxfast.sheet_paths(parts)
    data = records.by_spec()
    data[SUMMARY.name] = summary_rows(records.summary, dues)
    for spec, rows in zip(RECORD_SHEETS, data.values(), strict=True):
        if spec.name not in sheets:
            raise MasterError(
                f"thiếu sheet '{spec.name}'. Chạy 'ccpkh-excel check' một lần để bổ sung các sheet còn thiếu.", path
            )
        part = sheets[spec.name]
        parts[part] = render_sheet(parts[part].decode("utf-8"), spec, rows).encode("utf-8")
    wbxml = parts["xl/workbook.xml"].decode("utf-8")
    if "fullCalcOnLoad" not in wbxml:  # the statistics are formulas: recalculate on open
        wbxml = re.sub(r"<calcPr([^/]*)/>", r'<calcPr\1 fullCalcOnLoad="1"/>', wbxml, count=1)
        if "<calcPr" not in wbxml:
            wbxml = wbxml.replace("</workbook>", '<calcPr fullCalcOnLoad="1"/></workbook>')
        parts["xl/workbook.xml"] = wbxml.encode("utf-8")
    if stats is not None and STATS_SHEET in sheets:
        from .status import set_selection

        part = sheets[STATS_SHEET]
        parts[part] = set_selection(parts[part].decode("utf-8"), *stats).encode("utf-8")
    saved = backup(path)
    fd, tmp = tempfile.mkstemp(prefix=".ccpkh-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        xlsxfast.write_parts(parts, Path(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        ensure_not_open(path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return saved


def log_row(action: str, files: list[str], outcome: str, when: datetime | None = None) -> list[object]:
    return [when or datetime.now().replace(microsecond=0), _user(), action, "; ".join(files), outcome]


__all__ = ["Records", "read_records", "write_records", "master_lock", "backup", "log_row", "LOG"]
