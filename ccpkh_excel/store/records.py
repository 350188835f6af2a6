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

from ccpkh_excel.store import xlsxfast
from ccpkh_excel.errors import MasterError, MasterLockedError
from ccpkh_excel.store.master import (
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
from ccpkh_excel.domain.vntext import clean, clean_text

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


def render_chunks(sheet_xml: str, spec: SheetSpec, rows, count: int):
    """The sheet's XML in pieces, its rows replaced by `rows` (an iterable of `count` rows);
    header and column styles are kept from the sheet's first two rows."""
    ncol = len(spec.columns)
    head, body = _column_styles(sheet_xml, ncol)
    prefix, suffix = xlsxfast.split_sheet(sheet_xml)
    if not count:
        rows, count = [[""] * ncol], 1  # a styled blank row keeps the styles for next time
    ref = f"A1:{xlsxfast.col_letter(ncol)}{count + 1}"
    prefix = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', prefix)
    yield prefix + "<sheetData>" + xlsxfast.row(1, spec.headers, head)
    batch = []
    for r, values in enumerate(rows, start=2):
        batch.append(xlsxfast.row(r, values, body))
        if len(batch) == 1000:
            yield "".join(batch)
            batch = []
    yield "".join(batch) + "</sheetData>" + re.sub(r'<autoFilter ref="[^"]*"', f'<autoFilter ref="{ref}"', suffix)


def summary_rows(rows: list[list[object]], dues: dict[str, date | None]):
    """Tổng hợp rows as written: the stored columns, the task's due date, the live evaluation."""
    from ccpkh_excel.domain.status import row_formula

    for n, r in enumerate(rows, start=2):
        yield [*r[:SUMMARY_STORED], dues.get(str(r[0])) or "", row_formula(n)]


def write_records(
    path: Path,
    records: Records,
    dues: dict[str, date | None],
    stats: tuple[str, date] | None = None,
) -> Path:
    """Write the record sheets into the master: backup, temporary file, move into place.

    The master is re-zipped part by part (never whole in memory): record sheets are
    rendered anew, workbook.xml asks for a recalculation on open, `stats` (period, as-of date)
    goes into Thống kê's selection cells, every other part is copied as it is.
    `dues` gives each task's due date for Tổng hợp. Returns the backup's path. The caller
    holds `master_lock`.
    """
    import zipfile

    path = Path(path)
    ensure_not_open(path)
    with zipfile.ZipFile(path) as zin:
        sheets = xlsxfast.sheet_paths(zin)
        targets = {}
        data = records.by_spec()
        for spec in RECORD_SHEETS:
            if spec.name not in sheets:
                raise MasterError(
                    f"thiếu sheet '{spec.name}'. Chạy 'ccpkh-excel check' một lần để bổ sung các sheet còn thiếu.", path
                )
            rows = data[spec.name]
            source = summary_rows(rows, dues) if spec is SUMMARY else rows
            targets[sheets[spec.name]] = (spec, source, len(rows))
        stats_part = sheets.get(STATS_SHEET) if stats is not None else None
        saved = backup(path)
        fd, tmp = tempfile.mkstemp(prefix=".ccpkh-", suffix=path.suffix, dir=path.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
                for info in zin.infolist():
                    name = info.filename
                    if name in targets:
                        spec, source, count = targets[name]
                        with zout.open(name, "w") as fh:
                            for chunk in render_chunks(zin.read(name).decode("utf-8"), spec, source, count):
                                fh.write(chunk.encode("utf-8"))
                    elif name == "xl/workbook.xml":
                        zout.writestr(name, _recalc_on_load(zin.read(name).decode("utf-8")))
                    elif name == stats_part:
                        from ccpkh_excel.domain.status import set_selection

                        zout.writestr(name, set_selection(zin.read(name).decode("utf-8"), *stats))
                    else:
                        zout.writestr(name, zin.read(name))
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            ensure_not_open(path)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return saved


def _recalc_on_load(wbxml: str) -> str:
    """The statistics are formulas: ask Excel to recalculate them when the file opens."""
    if "fullCalcOnLoad" in wbxml:
        return wbxml
    if "<calcPr" in wbxml:
        return re.sub(r"<calcPr([^/]*)/>", r'<calcPr\1 fullCalcOnLoad="1"/>', wbxml, count=1)
    return wbxml.replace("</workbook>", '<calcPr fullCalcOnLoad="1"/></workbook>')


def log_row(action: str, files: list[str], outcome: str, when: datetime | None = None) -> list[object]:
    return [when or datetime.now().replace(microsecond=0), _user(), action, "; ".join(files), outcome]


__all__ = ["Records", "read_records", "write_records", "master_lock", "backup", "log_row", "LOG"]
