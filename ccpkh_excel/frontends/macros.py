"""Entry points of the Excel buttons (Bảng điều khiển), run by xlwings' RunPython.

Each takes the calling book (`xw.Book.caller()`), runs the same library function as the
matching CLI command, and writes what the clerk should see back into the open workbook
through xlwings — never by rewriting the file under Excel's feet. The book is saved by
Excel; the button then holds **that** file through the store (`Master.open(..., publish=)`):
the run lock and the backup are taken on the real master, and the sheets that changed are
written back into the open book, which Excel saves. Expected problems come back as a Vietnamese message box, not a traceback.

Writing into the open book follows Excel's rules (`_write_sheet`): a protected sheet is
unprotected only while it is written and protected again whatever happens; strings are written
as text (codes, STT, "01/6/2026" are not converted); Excel tables are resized to their data.
Charts are pointed at the ranges the new file's charts use (`_repoint_charts`): Excel keeps a
chart's ranges when the cells around them are written.
A write that fails half way puts the sheets written so far back as they were (`_publisher`).
"""

from __future__ import annotations

import functools
import re
import traceback
from datetime import date, datetime
from pathlib import Path

import ccpkh_excel as api
from ccpkh_excel.domain.periods import parse_period
from ccpkh_excel.errors import CcpkhError, MasterError
from ccpkh_excel.features.excel.dashboard import DASHBOARD, SETTINGS
from ccpkh_excel.frontends.listing import first_lines, some_of
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

# The sheets the store protects ("Phân công", the plan's secret) are protected without a
# password: protection guards against slips of the hand, not against the clerk, and a password
# written in an open-source tool would be no secret. Unprotect ignores the password of a sheet
# that has none; if the store ever sets one, it must be this constant (see docs/API.md).
SHEET_PASSWORD = ""

_PROTECT_FLAGS = {  # Worksheet.Protect's Allow… argument -> openpyxl's flag (True there = not allowed)
    "AllowFormattingCells": "formatCells",
    "AllowFormattingColumns": "formatColumns",
    "AllowFormattingRows": "formatRows",
    "AllowInsertingColumns": "insertColumns",
    "AllowInsertingRows": "insertRows",
    "AllowInsertingHyperlinks": "insertHyperlinks",
    "AllowDeletingColumns": "deleteColumns",
    "AllowDeletingRows": "deleteRows",
    "AllowSorting": "sort",
    "AllowFiltering": "autoFilter",
    "AllowUsingPivotTables": "pivotTables",
}


def _reason(exc: BaseException) -> str:
    """The readable part of an error raised through COM (pywintypes.com_error) or Python."""
    info = getattr(exc, "excepinfo", None)
    if info and len(info) > 2 and info[2]:
        return str(info[2]).strip()
    return f"{exc.__class__.__name__}: {exc}"


def _save(book) -> None:
    try:
        book.save()
    except Exception as exc:  # noqa: BLE001 - COM errors have no common base we can import
        raise CcpkhError(
            f"Excel không lưu được sổ ({_reason(exc)}). Sổ có đang mở ở chế độ chỉ đọc, hay đang được mở "
            "ở máy khác không? Hãy đóng các nơi khác đang mở sổ, lưu sổ (Ctrl+S) rồi bấm lại nút."
        ) from exc


def _cells(ws) -> list[list]:
    """What to write into the open book for each cell of a sheet of the new workbook:
    formulas as "=…", strings as text (a leading apostrophe, unless the cell is formatted
    as Text), so that Excel converts nothing: codes, STT, "01/6/2026" stay as they are."""
    rows = []
    for row in ws.iter_rows():
        out = []
        for c in row:
            v = c.value
            if c.data_type == "f":
                text = v if isinstance(v, str) else getattr(v, "text", "") or ""
                out.append(text if text.startswith("=") else "=" + text)
            elif isinstance(v, str):
                out.append(v if c.number_format == "@" else "'" + v)
            else:
                out.append(v)
        rows.append(out)
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


def _protect_args(protection) -> dict:
    args = {
        "Password": SHEET_PASSWORD,
        "DrawingObjects": bool(protection.objects),
        "Contents": True,
        "Scenarios": bool(protection.scenarios),
    }
    for arg, flag in _PROTECT_FLAGS.items():
        args[arg] = not getattr(protection, flag)
    return args


def _write_sheet(sheet, ws) -> None:
    """Make the open book's sheet hold what `ws` holds: values and formulas, its tables'
    ranges, its protection. A protected sheet is unprotected only for the writing, and
    protected again whatever happens."""
    from openpyxl.utils import get_column_letter as col

    was_protected = bool(sheet.api.ProtectContents)
    if was_protected:
        sheet.api.Unprotect(SHEET_PASSWORD)
    try:
        rows = _cells(ws)
        height = len(rows)
        width = max((len(r) for r in rows), default=0)
        used = sheet.used_range
        last_row = used.row + used.shape[0] - 1
        last_col = used.column + used.shape[1] - 1
        if rows:
            sheet.range("A1").value = [r + [None] * (width - len(r)) for r in rows]
        if last_row > height:
            sheet.range(f"A{height + 1}:{col(max(last_col, width, 1))}{last_row}").clear_contents()
        if height and last_col > width:
            sheet.range(f"{col(width + 1)}1:{col(last_col)}{height}").clear_contents()
        tables = {t.name: t for t in sheet.tables}
        for t in ws.tables.values():  # (openpyxl's TableList.items() gives refs, not tables)
            name = t.displayName
            target = sheet.range(t.ref)
            if name not in tables:
                style = t.tableStyleInfo.name if t.tableStyleInfo is not None else "TableStyleLight9"
                sheet.tables.add(source=target, name=name, table_style_name=style)
            elif tables[name].range.address != target.address:
                tables[name].resize(target)  # Excel never grows or shrinks a table by itself
        if ws._charts:
            _repoint_charts(sheet, ws)
    finally:
        if ws.protection.sheet:
            sheet.api.Protect(**_protect_args(ws.protection))
        elif was_protected:
            sheet.api.Protect(Password=SHEET_PASSWORD)


def _series_formulas(chart) -> list[str]:
    """=SERIES(name, categories, values, order) of each series of an openpyxl chart, as Excel
    writes it (absolute references)."""

    def ref(r) -> str:
        if r is None or not r.f:
            return ""
        sheet, _, cells = r.f.rpartition("!")
        cells = re.sub(r"\$?([A-Za-z]{1,3})\$?(\d+)", lambda m: f"${m.group(1).upper()}${m.group(2)}", cells)
        return f"{sheet}!{cells}" if sheet else cells

    out = []
    for i, s in enumerate(chart.series):
        name = ""
        if s.tx is not None:
            name = ref(s.tx.strRef) if s.tx.strRef is not None else '"' + str(s.tx.v or "").replace('"', '""') + '"'
        cat = ref((s.cat.strRef or s.cat.numRef or s.cat.multiLvlStrRef) if s.cat is not None else None)
        val = ref(s.val.numRef if s.val is not None else None)
        out.append(f"=SERIES({name},{cat},{val},{i + 1})")
    return out


def _repoint_charts(sheet, ws) -> None:
    """Point the series of the open book's charts at the ranges the new file's charts use: Excel
    keeps a chart's ranges when cells are written around them, so after an import that added rows
    the charts of the open book would still show the old rows."""
    charts = list(ws._charts)
    objects = sheet.api.ChartObjects()
    for i in range(min(objects.Count, len(charts))):
        chart = sheet.api.ChartObjects(i + 1).Chart
        wanted = _series_formulas(charts[i])
        series = chart.SeriesCollection()
        while series.Count > len(wanted):
            chart.SeriesCollection(series.Count).Delete()
        while series.Count < len(wanted):
            series.NewSeries()
        for j, formula in enumerate(wanted):
            target = chart.SeriesCollection(j + 1)
            if target.Formula != formula:
                target.Formula = formula


def _publisher(book, held: dict):
    """What `Master.save` calls instead of replacing the file Excel has open: the changed
    sheets of the new workbook are written into the open book, and Excel saves it.

    When a sheet cannot be written, the sheets written so far are written back from the
    file on disk (which Excel saved just before the button took the master, and which
    nothing has changed since) and the sheets added are removed: the open book is as it was.
    If even that fails, the message says to close without saving."""

    def publish(new: Path, names: list[str]) -> None:
        from openpyxl import load_workbook

        wb = load_workbook(new, keep_vba=new.suffix.lower() == ".xlsm")
        existing = {s.name for s in book.sheets}
        done: list[str] = []
        try:
            for name in names:
                if name not in wb.sheetnames:
                    continue
                done.append(name)
                _write_sheet(_sheet(book, name, hidden=wb[name].sheet_state != "visible"), wb[name])
        except Exception as exc:  # noqa: BLE001 - COM errors have no common base we can import
            failed = f"không ghi được sheet '{done[-1]}' vào sổ đang mở ({_reason(exc)})"
            try:
                _restore(book, Path(book.fullname), done, existing)
            except Exception as undo:  # noqa: BLE001
                backup = held.get("master").backup if held.get("master") else None
                where = f"sao_luu/{backup.name}" if backup else "thư mục sao_luu"
                raise MasterError(
                    f"{failed[0].upper() + failed[1:]}, và không trả lại được như cũ ({_reason(undo)}). "
                    "Hãy đóng sổ và chọn KHÔNG LƯU (Don't Save): tệp sổ trên đĩa vẫn nguyên như trước khi bấm nút "
                    f"(bản sao lưu: {where}). Rồi mở lại sổ và bấm lại nút."
                ) from exc
            raise MasterError(
                f"{failed[0].upper() + failed[1:]}. Đã trả sổ về như trước khi bấm nút, chưa lưu gì. "
                "Hãy bấm lại nút; nếu vẫn lỗi, báo người phụ trách kèm thông báo này."
            ) from exc
        try:
            book.save()
        except Exception as exc:  # noqa: BLE001
            raise MasterError(
                f"Đã ghi kết quả vào sổ đang mở nhưng Excel không lưu được ({_reason(exc)}). "
                "Hãy lưu sổ (Ctrl+S); nếu không lưu được, dùng File → Save As lưu thành tệp khác."
            ) from exc

    return publish


def _restore(book, original: Path, names: list[str], existing: set[str]) -> None:
    """Write back `names` from the file as it was before the button, remove the sheets added."""
    from openpyxl import load_workbook

    old = load_workbook(original, keep_vba=original.suffix.lower() == ".xlsm")
    for name in reversed(names):
        sheet = book.sheets[name]
        if name in existing and name in old.sheetnames:
            _write_sheet(sheet, old[name])
        elif name not in existing:
            if bool(sheet.api.ProtectContents):
                sheet.api.Unprotect(SHEET_PASSWORD)
            sheet.visible = True
            sheet.delete()


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
    _save(book)
    held: dict = {}
    held["master"] = Master.open(Path(book.fullname), wait=WAIT, publish=_publisher(book, held))
    return held["master"]


def _read(book) -> Master:
    """The master as Excel just saved it, for buttons that change nothing."""
    _save(book)
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
    lines = [
        f"Đã tạo {len(result.files)} phiếu kỳ {result.period.label} trong {out}.",
        f"Danh sách gửi (đơn vị, email, tệp): {result.manifest.name}.",
    ]
    if result.failed:
        lines.append(f"CHƯA tạo được phiếu cho {len(result.failed)} đơn vị — giải phóng chỗ trống rồi bấm lại:")
        lines += [f"- {code}: {why}" for code, why in result.failed.items()]
    return "\n".join(lines)


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
    noted = []
    for f in result.files:
        notes = "; ".join(([f.reason] if f.reason else []) + f.not_applied + f.warnings)
        if notes:
            noted.append(f"{f.path.name}: {f.outcome} — {notes}")
    lines += first_lines(noted, "tệp nữa cần xem lại (xem sheet Theo dõi nộp).")
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
    sheet.range(PERIOD_CELL).value = "'" + st.period  # text, as the store writes it
    sheet.range(AS_OF_CELL).value = datetime.combine(as_of, datetime.min.time())
    sheet.activate()
    t = st.total
    lines = [
        f"Kỳ {st.period}, tính đến {as_of:%d/%m/%Y}: {t.tasks} nhiệm vụ; hoàn thành đúng hạn {t.on_time}, "
        f"quá hạn {t.late}; đang thực hiện trong hạn {t.in_progress}; quá hạn chưa hoàn thành {t.overdue} "
        f"(trong đó chưa báo cáo {t.rest}); tỷ lệ hoàn thành {t.pct:.1f}%."
    ]
    if st.missing:
        names = [n for _, n in st.missing]
        lines.append(f"Chưa nộp phiếu ({len(names)}): " + some_of(names, "đơn vị khác (xem sheet Theo dõi nộp)."))
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


# --- e-mail ----------------------------------------------------------------------------------------
def _mail_ready(m: Master, smtp: bool = False, imap: bool = False):
    """The mail settings of the held master, refused with what to do when the password is not
    on this computer: a button has no place to type it, the keyring holds it (never the book)."""
    from ccpkh_excel.features.mailing import MailSettings

    s = MailSettings.from_master(m)
    if s.user and not s.password and (imap or smtp):
        why = f" ({s.password_problem})" if s.password_problem.startswith("không đọc được") else ""
        raise CcpkhError(
            f"Máy này chưa lưu mật khẩu thư của tài khoản '{s.user}'{why}. Mở Command Prompt (cmd) và chạy "
            f"một lần trên máy này:\n    ccpkh-excel mail-password --user {s.user}\n"
            "gõ mật khẩu hai lần, rồi bấm lại nút. Mật khẩu được giữ trong kho mật khẩu của Windows, "
            "không ghi vào sổ."
        )
    s.need(smtp=smtp, imap=imap)
    return s


def _listed(title: str, items: list[str], inline: bool = False) -> list[str]:
    if not items:
        return []
    if inline:  # unit codes: one line
        return [f"{title} ({len(items)}): {some_of(items, 'mục nữa (xem sheet Thư điện tử)')}."]
    return [f"{title} ({len(items)}):", *first_lines(items, "mục nữa (xem sheet Thư điện tử).")]


def _failed(deliveries) -> list[str]:
    return [f"{d.unit} ({'; '.join(d.addresses)}): {d.error}" for d in deliveries]


def _no_email(rows) -> list[str]:
    lines = _listed(
        "Đơn vị chưa có email hoặc email sai — sửa cột Email ở sheet Đơn vị",
        [f"{code} – {name}" + (f": '{cell}'" if cell else "") for code, name, cell in rows],
    )
    return lines


@entry
def send_mail(book) -> str:
    """Gửi phiếu qua thư: each unit still to be sent its form gets it by e-mail."""
    from ccpkh_excel.features.mailing import send_forms

    period = _period(book)
    out = _folder(book, "sent")
    with _hold(book) as m:
        _mail_ready(m, smtp=True)
        r = send_forms(m, period, out_dir=out)
    label = r.period.label
    if not r.messages:
        lines = [f"Kỳ {label}: không có thư nào cần gửi."]
    else:
        lines = [
            f"Kỳ {label}: đã gửi {len(r.sent)}/{len(r.messages)} thư, mỗi thư kèm phiếu của đơn vị; "
            f"hạn gửi lại {r.messages[0].due:%d/%m/%Y}.",
            f"Phiếu trong thư mục {r.out_dir}.",
        ]
    lines += _listed("Thư chưa gửi được — bấm lại nút để gửi tiếp", _failed(r.failed))
    if r.generated:
        lines += [f"Đơn vị {code}: {why}" for code, why in r.generated.failed.items()]
    lines += _listed("Đã gửi phiếu kỳ này trước đó, không gửi lại", r.already, inline=True)
    lines += _listed("Đã nộp phiếu kỳ này, không gửi", r.returned, inline=True)
    lines += [f"Đơn vị {code} không có nhiệm vụ nào: không có phiếu." for code in r.skipped]
    lines += _no_email(r.no_email)
    if r.backup:
        lines.append(f"Sao lưu sổ trước khi ghi: {r.backup.name}.")
    return "\n".join(lines)


@entry
def collect_mail(book) -> str:
    """Nhận phiếu từ hộp thư: the returns mailed to the office, merged as 'Tổng hợp phiếu' merges."""
    from ccpkh_excel.features.mailing import MERGED, MERGED_WARN, collect_returns

    period = _period(book)
    with _hold(book) as m:
        _mail_ready(m, imap=True)
        r = collect_returns(m, period=period)
    files = r.files
    merged = sum(1 for f in files if f.outcome in (MERGED, MERGED_WARN))
    lines = [
        f"Hộp thư {r.folder}: {len(r.messages)} thư mới có tệp Excel ({len(files)} tệp), "
        f"{len(r.untouched)} thư không có phiếu (để nguyên)."
    ]
    if files:
        counts: dict[str, int] = {}
        for f in files:
            counts[f.outcome or "Chưa xử lý"] = counts.get(f.outcome or "Chưa xử lý", 0) + 1
        lines.append(f"Đã tổng hợp {merged}/{len(files)} tệp. " + " · ".join(f"{k}: {v}" for k, v in counts.items()))
    noted = [
        f"{mo.sender}: {f.name} — {f.outcome or 'Chưa xử lý'}"
        + (
            f" ({'; '.join(x.rstrip('. ') for x in (f.reason, mo.sender_note) if x)})"
            if f.reason or mo.stranger
            else ""
        )
        for mo in r.messages
        for f in mo.files
        if f.outcome != MERGED or mo.stranger
    ]
    lines += _listed("Tệp cần xem lại", noted)
    lines += _listed(
        "Thư để nguyên",
        [f"{mo.sender}: {mo.note}" for mo in r.untouched if mo.note and "không có tệp" not in mo.note],
    )
    if r.earlier:
        lines.append(f"{len(r.earlier)} thư đã nhận ở lần trước, nay chỉ đánh dấu (không tổng hợp lại).")
    if r.merge and r.merge.missing:
        missing = [f"{u} – {n}" for u, n, p in r.merge.missing if p == period]
        lines += _listed("Chưa nộp", missing)
    lines += [f"Lưu ý: {p}" for p in r.problems]
    if r.backup:
        lines.append(f"Sao lưu sổ trước khi ghi: {r.backup.name}.")
    return "\n".join(lines)


@entry
def remind_mail(book) -> str:
    """Nhắc hạn, đôn đốc: units that have not returned get a reminder, after the date a công văn."""
    from ccpkh_excel.features.mailing import URGE, send_reminders

    period = _period(book)
    with _hold(book) as m:
        _mail_ready(m, smtp=True)
        r = send_reminders(m, period, as_of=_as_of(book))
    head = f"Kỳ {r.period.label}, tính đến {r.as_of:%d/%m/%Y}"
    if not r.messages:
        lines = [f"{head}: không có đơn vị nào cần nhắc lúc này."]
    else:
        urge = sum(1 for d in r.sent if d.action == URGE)
        lines = [f"{head}: đã gửi {len(r.sent) - urge} thư nhắc hạn và {urge} thư đôn đốc (kèm công văn)."]
        sent = []
        for d in r.messages:
            what = "đôn đốc, kèm công văn" if d.action == URGE else "nhắc hạn"
            state = "đã gửi" if d.ok else f"lỗi: {d.error}"
            sent.append(f"{d.unit} – {d.name} ({what}; hạn {d.due:%d/%m/%Y}): {state}")
        lines += first_lines(sent, "thư nữa (xem sheet Thư điện tử).")
    lines += _listed("Đã nhắc hôm nay, không gửi thêm", r.already, inline=True)
    lines += _listed("Chưa đến lúc nhắc", [f"{u} (hạn {d:%d/%m/%Y})" for u, d in r.not_yet], inline=True)
    lines += _no_email(r.no_email)
    lines += [f"Lưu ý: {p}" for p in r.problems]
    return "\n".join(lines)
