"""Entry points of the Excel buttons (Bảng điều khiển), run by xlwings' RunPython.

Each takes the calling book (`xw.Book.caller()`), runs the same library function as the
matching CLI command, and writes what the clerk should see back into the open workbook
through xlwings — never by rewriting the file under Excel's feet. The book is saved by
Excel; the button then holds **that** file through the store (`Master.open(..., publish=)`):
the run lock and the backup are taken on the real master, and the sheets that changed are
written back into the open book, which Excel saves. Expected problems come back as a Vietnamese message box, not a traceback.
"""

from __future__ import annotations

import functools
import traceback
from datetime import date, datetime
from pathlib import Path

import ccpkh_excel as api
from ccpkh_excel.domain.periods import parse_period
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.excel.dashboard import DASHBOARD, SETTINGS
from ccpkh_excel.store.master import Master
from ccpkh_excel.store.schema import STATS
from ccpkh_excel.store.stats_sheet import AS_OF_CELL, PERIOD_CELL

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


WAIT = 15.0  # seconds a button waits for another run on the same master before giving up


def _publisher(book):
    """What `Master.save` calls instead of replacing the file Excel has open: the changed
    sheets of the new workbook are written into the open book, and Excel saves it."""

    def publish(new: Path, names: list[str]) -> None:
        from openpyxl import load_workbook

        wb = load_workbook(new, keep_vba=new.suffix.lower() == ".xlsm")
        for name in names:
            if name not in wb.sheetnames:
                continue
            rows = []
            for row in wb[name].iter_rows():
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
            sheet = _sheet(book, name, hidden=wb[name].sheet_state != "visible")
            sheet.used_range.clear_contents()
            if rows:
                sheet.range("A1").value = rows
        book.save()

    return publish


def _sheet(book, name: str, hidden: bool = False):
    """The open book's sheet of that name, added (after the last one) when the book lacks it:
    a master made by an older version gains the sheets the store now writes."""
    if name in [s.name for s in book.sheets]:
        return book.sheets[name]
    sheets = list(book.sheets)
    sheet = book.sheets.add(name, after=sheets[-1] if sheets else None)
    if hidden:
        try:
            sheet.api.Visible = 2  # xlSheetVeryHidden
        except Exception:  # noqa: BLE001 - not Excel on Windows: hidden is the best there is
            sheet.visible = False
    return sheet


def _hold(book) -> Master:
    """The real master file of the open book, saved by Excel and held for this button."""
    book.save()
    return Master.open(Path(book.fullname), wait=WAIT, publish=_publisher(book))


def _read(book) -> Master:
    """The master as Excel just saved it, for buttons that change nothing."""
    book.save()
    return Master.read(Path(book.fullname))


def _problems(problems: list) -> list[str]:
    if not problems:
        return []
    lines = [f"Có {len(problems)} điểm cần sửa:"] + [f"- {p.message}" for p in problems[:25]]
    if len(problems) > 25:
        lines.append(f"… và {len(problems) - 25} điểm nữa (chạy 'ccpkh-excel check' để xem hết).")
    return lines


# --- the buttons ------------------------------------------------------------------------------
@entry
def check(book) -> str:
    """Kiểm tra danh mục."""
    with _hold(book) as m:
        result = api.check_master(m)
    lines = [f"Sổ có {len(result.plan.tasks)} nhiệm vụ, {len(result.plan.units)} đơn vị."]
    lines += [f"Đã {c[0].lower() + c[1:]}" for c in result.changes]
    lines += _problems(result.problems) or ["Không có gì cần sửa."]
    return "\n".join(lines)


@entry
def import_word(book) -> str:
    """Nhập từ Word: the file chosen by the VBA picker is in the dashboard's 'Tệp vừa chọn'."""
    source = setting(book, "chosen")
    if not source:
        raise CcpkhError("Chưa chọn tệp để nhập.")
    source = Path(str(source))
    with _hold(book) as m:
        result = api.import_plan(source, m)
    u = result.update
    lines = [
        f"Đã nhập {len(result.table.tasks)} nhiệm vụ từ {source.name}: mới {len(u.added)}, "
        f"cập nhật {len(u.updated)}, không đổi {len(u.unchanged)}."
    ]
    if result.table.legacy:
        lines.append(f"Đã chuyển chữ mã cũ {result.table.legacy} sang Unicode.")
    return "\n".join(lines + _problems(result.problems))


@entry
def generate(book) -> str:
    """Tạo phiếu cho đơn vị."""
    out = _folder(book, "sent")
    period = _period(book)
    with _hold(book) as m:
        result = api.generate(m, period, out)
    return (
        f"Đã tạo {len(result.files)} phiếu kỳ {result.period.label} trong {out}.\n"
        f"Danh sách gửi (đơn vị, email, tệp): {result.manifest.name}."
    )


@entry
def merge(book) -> str:
    """Tổng hợp phiếu: the returns in the received folder."""
    folder = _folder(book, "received")
    if not folder.is_dir():
        raise CcpkhError(f"Không có thư mục phiếu nhận về: {folder}.")
    with _hold(book) as m:
        result = api.merge_returns(m, [folder])
    merged = sum(1 for f in result.files if f.outcome.startswith("Đã tổng hợp"))
    saved = f" (sao lưu sổ: {result.backup.name})" if result.backup else ""
    lines = [f"Đã tổng hợp {merged}/{len(result.files)} tệp{saved}."]
    for f in result.files:
        notes = "; ".join(([f.reason] if f.reason else []) + f.not_applied + f.warnings)
        if notes:
            lines.append(f"- {f.path.name}: {f.outcome} — {notes}")
    if result.missing:
        lines.append(f"Chưa nộp: {len(result.missing)} đơn vị (xem sheet Theo dõi nộp).")
    return "\n".join(lines)


@entry
def status(book) -> str:
    """Xem tình hình: the figures for the dashboard's period and date, and Thống kê opened."""
    period = _period(book)
    as_of = _as_of(book) or date.today()
    st = api.read_status(_read(book), period, as_of)
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
    out = _folder(book, "documents") / name
    period = _period(book) if kind != "ke-hoach" else None
    result = api.write_document(_read(book), kind, out, period=period, as_of=_as_of(book))
    return "\n".join([f"Đã viết {result.path}."] + [f"Lưu ý: {w}" for w in result.warnings])


@entry
def report_plan(book) -> str:
    """Xuất Kế hoạch."""
    return _document(book, "ke-hoach", "ke_hoach.docx")


@entry
def report_periodic(book) -> str:
    """Xuất Báo cáo."""
    return _document(book, "bao-cao", f"bao_cao_{parse_period(_period(book)).slug}.docx")


@entry
def report_reminder(book) -> str:
    """Xuất công văn đôn đốc."""
    return _document(book, "don-doc", f"cong_van_don_doc_{parse_period(_period(book)).slug}.docx")
