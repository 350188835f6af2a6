"""Entry points of the Excel buttons (Bảng điều khiển), run by xlwings' RunPython.

Each takes the calling book (`xw.Book.caller()`), runs the same library function as the
matching CLI command, and writes what the clerk should see back into the open workbook
through xlwings — never by rewriting the file under Excel's feet: the book is saved by
Excel, the library works on a copy of it, and the sheets it changed are written back into
the open book. Expected problems come back as a Vietnamese message box, not a traceback.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import traceback
from datetime import date, datetime
from pathlib import Path

from ccpkh_excel.features.excel.dashboard import DASHBOARD, SETTINGS
from ccpkh_excel.errors import CcpkhError

TITLE = "ccpkh-excel"
ENTRY_POINTS: dict[str, object] = {}


def _caller():
    import xlwings as xw

    return xw.Book.caller()


def entry(fn):
    """An entry point: messages as alerts, errors as Vietnamese alerts, never a traceback."""

    @functools.wraps(fn)
    def wrapper(book=None):
        book = book or _caller()
        try:
            message = fn(book)
        except CcpkhError as exc:
            book.app.alert(str(exc), title=f"{TITLE} — chưa làm được", mode="critical")
            return None
        except Exception as exc:  # noqa: BLE001 - a bug: say so plainly
            book.app.alert(
                f"Lỗi ngoài dự kiến ({exc.__class__.__name__}: {exc}). Hãy báo cho người phụ trách kèm chi tiết:\n"
                + traceback.format_exc(limit=3),
                title=f"{TITLE} — lỗi",
                mode="critical",
            )
            return None
        if message:
            book.app.alert(message, title=TITLE, mode="info")
        return message

    ENTRY_POINTS[fn.__name__] = wrapper
    return wrapper


# --- the open book ---------------------------------------------------------------------------
def setting(book, key: str):
    row = SETTINGS[key][0]
    return book.sheets[DASHBOARD].range(f"B{row}").value


def _folder(book, key: str) -> Path:
    value = str(setting(book, key) or SETTINGS[key][2] or "").strip()
    path = Path(value)
    return path if path.is_absolute() else Path(book.fullname).parent / path


def _period(book) -> str:
    value = setting(book, "period")
    if not value:
        raise CcpkhError("Chưa chọn Kỳ báo cáo ở Bảng điều khiển.")
    return str(value)


def _as_of(book) -> date | None:
    value = setting(book, "as_of")
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


class _Copy:
    """The open book saved by Excel, and a copy of it for the library to work on."""

    def __init__(self, book):
        self.book = book
        book.save()
        self.original = Path(book.fullname)
        self._tmp = tempfile.TemporaryDirectory(prefix="ccpkh-")
        self.path = Path(self._tmp.name) / self.original.name
        shutil.copy2(self.original, self.path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._tmp.cleanup()

    def sync(self, names: list[str]) -> None:
        """Write these sheets of the copy back into the open book (values and formulas)."""
        from openpyxl import load_workbook

        wb = load_workbook(self.path, keep_vba=self.path.suffix.lower() == ".xlsm")
        for name in names:
            if name not in wb.sheetnames:
                continue
            src = wb[name]
            rows = []
            for row in src.iter_rows():
                out = []
                for c in row:
                    v = c.value
                    if c.data_type == "f" and isinstance(v, str):
                        out.append(v if v.startswith("=") else "=" + v)
                    elif isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
                        out.append("'" + v)  # typed text stays text in Excel
                    else:
                        out.append(v)
                rows.append(out)
            sheet = self.book.sheets[name]
            sheet.used_range.clear_contents()
            if rows:
                sheet.range("A1").value = rows
        self.book.save()


def _records_sheets() -> list[str]:
    from ccpkh_excel.store.master import RECORD_SHEETS

    return [s.name for s in RECORD_SHEETS]


def _plan_sheets() -> list[str]:
    from ccpkh_excel.store.master import SHEETS, TEXT_SHEETS
    from ccpkh_excel.domain.status import STATS

    return [s.name for s in (*SHEETS, *TEXT_SHEETS)] + [STATS]


# --- the buttons ------------------------------------------------------------------------------
@entry
def check(book) -> str:
    """Kiểm tra danh mục."""
    from ccpkh_excel.store.master import check_master

    with _Copy(book) as work:
        report = check_master(work.path)
        if report.changes:
            work.sync(_plan_sheets())
    lines = [f"Sổ có {len(report.plan.tasks)} nhiệm vụ, {len(report.plan.units)} đơn vị."]
    lines += [f"Đã {c[0].lower() + c[1:]}" for c in report.changes]
    if report.problems:
        lines.append(f"Có {len(report.problems)} điểm cần sửa:")
        lines += [f"- {p.message}" for p in report.problems[:25]]
        if len(report.problems) > 25:
            lines.append(f"… và {len(report.problems) - 25} điểm nữa (chạy 'ccpkh-excel check' để xem hết).")
    else:
        lines.append("Không có gì cần sửa.")
    return "\n".join(lines)


@entry
def import_word(book) -> str:
    """Nhập từ Word: the file chosen by the VBA picker is in the dashboard's 'Tệp vừa chọn'."""
    from ccpkh_excel.features.importing import import_plan

    source = setting(book, "chosen")
    if not source:
        raise CcpkhError("Chưa chọn tệp để nhập.")
    with _Copy(book) as work:
        report = import_plan(Path(str(source)), work.path)
        work.sync(_plan_sheets())
    m = report.merge
    lines = [
        f"Đã nhập {len(report.table.tasks)} nhiệm vụ từ {Path(str(source)).name}: mới {len(m.added)}, "
        f"cập nhật {len(m.updated)}, không đổi {len(m.unchanged)}."
    ]
    if report.table.legacy:
        lines.append(f"Đã chuyển chữ mã cũ {report.table.legacy} sang Unicode.")
    if report.problems:
        lines.append(f"Có {len(report.problems)} điểm cần sửa:")
        lines += [f"- {p.message}" for p in report.problems[:25]]
    return "\n".join(lines)


@entry
def generate(book) -> str:
    """Tạo phiếu cho đơn vị."""
    from ccpkh_excel.features.forms import generate as make

    out = _folder(book, "sent")
    with _Copy(book) as work:
        report = make(work.path, _period(book), out)
        work.sync(_records_sheets())
    return (
        f"Đã tạo {len(report.files)} phiếu kỳ {report.period.label} trong {out}.\n"
        f"Danh sách gửi (đơn vị, email, tệp): {report.manifest.name}."
    )


@entry
def merge(book) -> str:
    """Tổng hợp phiếu: the returns in the received folder."""
    from ccpkh_excel.features.merging import merge_returns
    from ccpkh_excel.store.records import backup
    from ccpkh_excel.domain.status import STATS

    folder = _folder(book, "received")
    if not folder.is_dir():
        raise CcpkhError(f"Không có thư mục phiếu nhận về: {folder}.")
    with _Copy(book) as work:
        saved = backup(work.original)
        report = merge_returns(work.path, [folder])
        work.sync(_records_sheets() + [STATS])
    merged = sum(1 for f in report.files if f.outcome.startswith("Đã tổng hợp"))
    lines = [f"Đã tổng hợp {merged}/{len(report.files)} tệp (sao lưu sổ: {saved.name})."]
    for f in report.files:
        notes = "; ".join(([f.reason] if f.reason else []) + f.not_applied + f.warnings)
        if notes:
            lines.append(f"- {f.path.name}: {f.outcome} — {notes}")
    if report.missing:
        lines.append(f"Chưa nộp: {len(report.missing)} đơn vị (xem sheet Theo dõi nộp).")
    return "\n".join(lines)


@entry
def status(book) -> str:
    """Xem tình hình: the figures for the dashboard's period and date, and Thống kê opened."""
    from ccpkh_excel.domain.status import AS_OF_CELL, PERIOD_CELL, STATS, read_status

    period = _period(book)
    as_of = _as_of(book) or date.today()
    with _Copy(book) as work:
        st = read_status(work.path, period, as_of)
    sheet = book.sheets[STATS]
    sheet.range(PERIOD_CELL).value = st.period
    sheet.range(AS_OF_CELL).value = datetime.combine(as_of, datetime.min.time())
    sheet.activate()
    t = st.total
    lines = [
        f"Kỳ {st.period}, tính đến {as_of:%d/%m/%Y}: {t.tasks} nhiệm vụ; hoàn thành đúng hạn {t.on_time}, "
        f"quá hạn {t.late}; đang thực hiện {t.in_progress}; quá hạn chưa xong {t.overdue}; "
        f"chưa thực hiện {t.rest}; tỷ lệ hoàn thành {t.pct:.1f}%."
    ]
    if st.missing:
        lines.append(f"Chưa nộp phiếu ({len(st.missing)}): " + ", ".join(n for _, n in st.missing))
    for task in st.overdue:
        lines.append(f"Quá hạn: {task.code} (hạn {task.due:%d/%m/%Y}) {task.content[:80]}")
    return "\n".join(lines)


def _document(book, kind: str, name: str) -> str:
    from ccpkh_excel.features.documents.rendering import write_document

    out = _folder(book, "documents") / name
    with _Copy(book) as work:
        result = write_document(
            work.path, kind, out, period=_period(book) if kind != "ke-hoach" else None, as_of=_as_of(book)
        )
    lines = [f"Đã viết {result.path}."] + [f"Lưu ý: {w}" for w in result.warnings]
    return "\n".join(lines)


@entry
def report_plan(book) -> str:
    """Xuất Kế hoạch."""
    return _document(book, "ke-hoach", "ke_hoach.docx")


@entry
def report_periodic(book) -> str:
    """Xuất Báo cáo."""
    from ccpkh_excel.domain.periods import parse_period

    return _document(book, "bao-cao", f"bao_cao_{parse_period(_period(book)).slug}.docx")


@entry
def report_reminder(book) -> str:
    """Xuất công văn đôn đốc."""
    from ccpkh_excel.domain.periods import parse_period

    return _document(book, "don-doc", f"cong_van_don_doc_{parse_period(_period(book)).slug}.docx")
