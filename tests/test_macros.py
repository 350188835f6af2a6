"""The macro-enabled master: VBA built from text sources, buttons wired to entry points,
each entry point run end to end on a real master through a fake of the few xlwings calls."""

import inspect
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from fake_xlwings import App as FakeApp
from fake_xlwings import Book as FakeBook
from fake_xlwings import Range as FakeRange
from fake_xlwings import Sheet as FakeSheet
from fake_xlwings import Sheets as FakeSheets
from fake_xlwings import Table as FakeTable
from fake_xlwings import Tables as FakeTables
from openpyxl import load_workbook
from returns import fill

from ccpkh_excel import read_plan, read_records, write_plan
from ccpkh_excel.errors import MasterError
from ccpkh_excel.features.documents.lint import lint
from ccpkh_excel.features.excel.dashboard import BUTTONS, DASHBOARD, SETTINGS
from ccpkh_excel.features.excel.vba import escape_vietnamese, project_modules, sources_dir
from ccpkh_excel.frontends import macros
from ccpkh_excel.resources import workbooks_dir

SHIPPED = workbooks_dir() / "ke_hoach_cchc_thai_nguyen_2026.xlsm"
BAS = sources_dir() / "BangDieuKhien.bas"


def _subs(source: str) -> set[str]:
    return set(re.findall(r"^Public Sub (\w+)\(\)", source, re.M))


# --- wiring ------------------------------------------------------------------------------
def test_every_button_names_a_sub_that_exists():
    from ccpkh_excel.features.excel.dashboard import PICKERS

    subs = _subs(BAS.read_text(encoding="utf-8"))
    wanted = {m for m, _, _ in BUTTONS} | set(PICKERS.values())
    assert wanted == subs
    with zipfile.ZipFile(SHIPPED) as z:
        vml = z.read(next(n for n in z.namelist() if n.startswith("xl/drawings/vmlDrawing"))).decode()
    assert sorted(re.findall(r"BangDieuKhien\.(\w+)", vml)) == sorted(wanted)
    for sub in PICKERS.values():  # folder pickers stay in VBA: no Python needed to pick a folder
        body = BAS.read_text(encoding="utf-8").split(f"Public Sub {sub}()")[1].split("End Sub")[0]
        assert "RunPython" not in body and "ChonThuMuc" in body


def test_every_runpython_names_an_entry_point_that_exists_and_is_tested():
    calls = re.findall(r'RunPython\(PY & "(\w+)\(\)"\)', BAS.read_text(encoding="utf-8"))
    assert len(calls) == len(BUTTONS)
    assert set(calls) == set(macros.ENTRY_POINTS)
    tested = Path(__file__).read_text(encoding="utf-8")
    for name in macros.ENTRY_POINTS:
        assert f"macros.{name}(" in tested, f"entry point {name} has no test"


def test_the_fake_matches_xlwings_api():
    import xlwings as xw

    pairs = [
        (FakeApp.alert, xw.main.App.alert),
        (FakeSheet.range, xw.main.Sheet.range),
        (FakeSheet.activate, xw.main.Sheet.activate),
        (FakeRange.clear_contents, xw.main.Range.clear_contents),
        (FakeBook.save, xw.main.Book.save),
        (FakeSheets.add, xw.main.Sheets.add),
        (FakeSheet.delete, xw.main.Sheet.delete),
        (FakeTable.resize, xw.main.Table.resize),
        (FakeTables.add, xw.main.Tables.add),
    ]
    for fake, real in pairs:
        fp = list(inspect.signature(fake).parameters)
        rp = list(inspect.signature(real).parameters)
        assert fp == rp[: len(fp)], (fake.__qualname__, fp, rp)
    for prop in ("fullname", "sheets"):
        assert isinstance(inspect.getattr_static(xw.main.Book, prop), property)
    for cls, props in (
        ("Sheet", ("used_range", "visible", "tables", "api", "name")),
        ("Range", ("value", "shape", "row", "column", "address")),
        ("Table", ("range", "name", "data_body_range")),
    ):
        for prop in props:
            assert isinstance(inspect.getattr_static(getattr(xw.main, cls), prop), property), (cls, prop)
            assert isinstance(inspect.getattr_static(globals()[f"Fake{cls}"], prop), property), (cls, prop)
    assert callable(xw.main.Sheets.__getitem__) and callable(xw.main.Tables.__getitem__)
    assert callable(xw.Book.caller)


# --- the shipped workbook -------------------------------------------------------------------
def test_olevba_finds_exactly_the_modules_and_subs_of_the_sources():
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(SHIPPED))
    found = {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    modules = {m.name: m for m in project_modules()}
    assert set(found) == set(modules)

    def code(text: str) -> str:
        lines = [line for line in text.replace("\r\n", "\n").split("\n") if not line.startswith("Attribute VB_")]
        return "\n".join(lines).strip()

    for name, m in modules.items():
        assert code(found[name]) == code(m.source), name
    ours = escape_vietnamese(BAS.read_text(encoding="utf-8"))
    assert _subs(found["BangDieuKhien"].replace("\r\n", "\n")) == _subs(ours)
    assert "Public Function RunPython" in found["xlwings"]


def test_shipped_macro_workbook_holds_the_sample():
    from ccpkh_excel.domain.sample import sample_plan

    plan, ref = read_plan(SHIPPED), sample_plan()
    assert plan.tasks == ref.tasks and plan.units == ref.units
    wb = load_workbook(SHIPPED, keep_vba=True)
    assert wb.sheetnames[0] == DASHBOARD and wb.active.title == DASHBOARD
    dash = wb[DASHBOARD]
    assert [dash[f"A{row}"].value for row, *_ in SETTINGS.values()] == [label for _, label, _, _ in SETTINGS.values()]


def test_olevba_sees_no_sheet_index_and_an_error_handler_in_every_button():
    """Sheets named by name, never by position; every button's Sub has `On Error GoTo`."""
    from oletools.olevba import VBA_Parser

    from ccpkh_excel.features.excel.dashboard import PICKERS

    parser = VBA_Parser(str(SHIPPED))
    ours = {Path(name).stem: code for _, _, name, code in parser.extract_macros() if "xlwings" not in name}
    parser.close()
    assert {"BangDieuKhien", "ThisWorkbook", "Sheet1"} <= set(ours)
    for name, code in ours.items():
        assert not re.search(r"\b(Worksheets|Sheets|Charts)\s*\(\s*\d", code, re.I), name
    bas = ours["BangDieuKhien"].replace("\r\n", "\n")
    buttons = {m for m, _, _ in BUTTONS} | set(PICKERS.values())
    for sub in buttons:
        body = bas.split(f"Public Sub {sub}()")[1].split("End Sub")[0]
        assert re.search(r"^\s*On Error GoTo \w+", body, re.M), sub
        label = re.search(r"^(\w+):", body, re.M)
        assert label and "BaoLoi" in body.split(label.group(0))[1], sub
    # the version of xlwings' module in the workbook is compared with Python's, really
    assert "XLWINGS_VERSION" in bas and "x.__version__" in bas
    from ccpkh_excel.features.excel.vba import xlwings_sources

    embedded = re.search(r'XLWINGS_VERSION As String = "([\d.]+)"', xlwings_sources()[0].read_text()).group(1)
    import xlwings

    assert embedded == xlwings.__version__


def test_shipped_xlwings_conf_holds_no_empty_key():
    wb = load_workbook(SHIPPED, keep_vba=True)
    conf = wb["xlwings.conf"]
    rows = [(conf.cell(row=r, column=1).value, conf.cell(row=r, column=2).value) for r in range(1, conf.max_row + 1)]
    keys = [(k, v) for k, v in rows if k not in (None, "")]
    assert keys == [("Interpreter_Win", "python")]
    assert all(v not in (None, "") for _, v in keys)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_macro_workbook(tmp_path):
    from ccpkh_excel.features.documents.rendering import convert

    pdf = convert(SHIPPED, "pdf", tmp_path / "lo")
    assert pdf.stat().st_size > 1000


def _macro_state(path: Path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        vml = z.read(next(n for n in names if n.startswith("xl/drawings/vmlDrawing"))).decode()
        return z.read("xl/vbaProject.bin"), sorted(re.findall(r"BangDieuKhien\.\w+", vml))


def test_cli_merge_and_check_keep_macros_buttons_and_dashboard(tmp_path):
    from click.testing import CliRunner

    from ccpkh_excel.frontends.cli import cli

    master = tmp_path / "so.xlsm"
    shutil.copy(SHIPPED, master)
    before = _macro_state(master)
    runner = CliRunner()
    assert runner.invoke(cli, ["check", str(master)]).exit_code == 0
    assert (
        runner.invoke(
            cli, ["generate", str(master), "--period", "Quý I/2026", "--out", str(tmp_path / "gui")]
        ).exit_code
        == 0
    )
    assert runner.invoke(cli, ["merge", str(master), str(tmp_path / "gui")]).exit_code == 0
    plan = read_plan(master)
    plan.tasks[0].note = "sửa"
    write_plan(plan, master)
    assert _macro_state(master) == before
    wb = load_workbook(master, keep_vba=True)
    assert wb.sheetnames[0] == DASHBOARD
    assert wb[DASHBOARD]["B4"].value == "phieu_gui"
    with zipfile.ZipFile(master) as z:
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in z.read("[Content_Types].xml").decode()


def test_a_save_that_would_drop_the_macros_is_refused(tmp_path, monkeypatch):
    master = tmp_path / "so.xlsm"
    shutil.copy(SHIPPED, master)
    before = master.read_bytes()
    import openpyxl.workbook.workbook as wbmod

    real = wbmod.Workbook.save

    def lossy(self, filename):
        self.vba_archive = None  # what happens when a workbook is opened without keep_vba
        real(self, filename)

    monkeypatch.setattr(wbmod.Workbook, "save", lossy)
    with pytest.raises(MasterError, match=r"làm mất xl/drawings/vmlDrawing, xl/vbaProject.bin \(macro, nút bấm\)"):
        write_plan(read_plan(master), master)
    assert master.read_bytes() == before


# --- each entry point, end to end ---------------------------------------------------------------
@pytest.fixture
def book(tmp_path, built_samples):
    from conftest import copy_sample

    path = copy_sample(built_samples, tmp_path / "so.xlsm")
    b = FakeBook(path)
    b.sheets[DASHBOARD].range("B3").value = "Quý I/2026"
    return b


def _alert(book):
    assert book.app.alerts, "no message shown"
    return book.app.alerts[-1]


def test_check(book):
    ws = book.wb["Danh mục nhiệm vụ"]
    ws.append([None, "24", "", "Việc văn thư thêm trong Excel", "Sở Nội vụ", "", "Quý III/2026"])
    macros.check(book)
    a = _alert(book)
    assert a["mode"] == "info" and "Đã cấp mã cho 1 nhiệm vụ mới: NV024." in a["prompt"]
    assert book.sheets["Danh mục nhiệm vụ"].range("A25").value == "NV024"  # written back into the open book
    assert read_plan(book.path).tasks[-1].code == "NV024"  # and saved by "Excel"


def test_import_word(book, tmp_path):
    from docx_builder import seed_004_docx

    src = seed_004_docx(tmp_path / "nq66.docx")
    book.sheets[DASHBOARD].range("B8").value = str(src)
    macros.import_word(book)
    assert "Đã nhập 10 nhiệm vụ từ nq66.docx: mới 10" in _alert(book)["prompt"]
    assert len(read_plan(book.path).tasks) == 33


def test_generate_merge_status_and_documents(book, tmp_path):
    macros.generate(book)
    assert "Đã tạo 16 phiếu kỳ Quý I/2026" in _alert(book)["prompt"]
    sent = tmp_path / "phieu_gui"
    assert len(list(sent.glob("*.xlsx"))) == 16
    received = tmp_path / "phieu_nhan"
    received.mkdir()
    f = received / "SNV.xlsx"
    shutil.copy(next(sent.glob("SNV_*.xlsx")), f)
    fill(f, {"NV001": ("Hoàn thành", date(2026, 3, 20), "=KH số 45", "", "")})
    macros.merge(book)
    assert "Đã tổng hợp 1/1 tệp" in _alert(book)["prompt"]
    th = book.sheets["Tổng hợp"].range("A2:N2").value  # one row: a flat list, as xlwings gives
    assert th[:2] == ["NV001", "SNV"] and th[7] == "=KH số 45"  # text, not a formula
    assert book.wb["Tổng hợp"]["H2"].data_type == "s"
    assert str(th[13]).startswith("=IF(")  # the live evaluation column
    row = read_records(book.path).summary[0]
    assert (row.task, row.unit) == ("NV001", "SNV")
    assert (tmp_path / "sao_luu").is_dir()
    book.sheets[DASHBOARD].range("B6").value = date(2026, 4, 10)
    macros.status(book)
    a = _alert(book)["prompt"]
    assert a.startswith("Kỳ Quý I/2026, tính đến 10/04/2026: 23 nhiệm vụ") and "Chưa nộp phiếu (15)" in a
    assert book.active_sheet == "Thống kê" and book.sheets["Thống kê"].range("B2").value == "Quý I/2026"
    written = []
    macros.report_plan(book)
    written.append((_alert(book)["prompt"], "ke_hoach.docx"))
    macros.report_periodic(book)
    written.append((_alert(book)["prompt"], "bao_cao_Quy_I_2026.docx"))
    macros.report_reminder(book)
    written.append((_alert(book)["prompt"], "cong_van_don_doc_Quy_I_2026.docx"))
    for message, name in written:
        doc = tmp_path / "van_ban" / name
        assert f"Đã viết {doc}." in message
        assert lint(doc) == []


def test_expected_problems_are_message_boxes_not_tracebacks(book):
    macros.merge(book)  # no "phieu_nhan" folder yet
    a = _alert(book)
    assert a["mode"] == "critical" and a["prompt"].startswith("Không có thư mục phiếu nhận về")
    assert "Traceback" not in a["prompt"]
    book.sheets[DASHBOARD].range("B3").value = None
    macros.generate(book)
    assert _alert(book)["prompt"] == "Chưa chọn Kỳ báo cáo ở Bảng điều khiển."
    book.sheets[DASHBOARD].range("B8").value = None
    macros.import_word(book)
    assert _alert(book)["prompt"] == "Chưa chọn tệp để nhập."


def test_the_caller_is_excel_by_default(monkeypatch, book):
    monkeypatch.setattr(macros, "_caller", lambda: book)
    macros.check()
    assert "Sổ có 23 nhiệm vụ" in _alert(book)["prompt"]


def test_a_master_from_an_older_version_gains_the_new_sheets_through_excel(tmp_path):
    """The shipped .xlsm predates the plan's secret and the mail sheets: the first button that
    writes adds them to the open book (the secret very hidden), and signed forms then merge."""
    from returns import fill

    path = tmp_path / "cu.xlsm"
    old = load_workbook(SHIPPED, keep_vba=True)
    for name in ("Thư điện tử", "Cài đặt thư"):
        del old[name]
    old.save(path)
    b = FakeBook(path)
    b.sheets[DASHBOARD].range("B3").value = "Quý I/2026"
    macros.generate(b)
    assert "Đã tạo 16 phiếu" in _alert(b)["prompt"]
    assert b.wb["_ccpkh"].sheet_state != "visible" and "Thư điện tử" in b.wb.sheetnames
    received = tmp_path / "phieu_nhan"
    received.mkdir()
    f = received / "SNV.xlsx"
    shutil.copy(next((tmp_path / "phieu_gui").glob("SNV_*.xlsx")), f)
    fill(f, {"NV001": ("Hoàn thành", date(2026, 3, 20), "Xong", "", "")})
    macros.merge(b)
    assert "Đã tổng hợp 1/1 tệp" in _alert(b)["prompt"], _alert(b)["prompt"]


def test_check_reports_a_master_that_lost_its_macros(tmp_path, built_samples):
    """Saved by a program that drops the VBA project: `check` says so and what to run."""
    from conftest import copy_sample

    from ccpkh_excel import check_master

    path = copy_sample(built_samples, tmp_path / "so.xlsm")
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist() if not i.filename.startswith("xl/vbaProject")}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    result = check_master(path)
    lost = [p for p in result.problems if p.kind == "Sổ mất macro"]
    assert lost and "ccpkh-excel macros" in lost[0].message, result.problems
    assert result.exit_code == 1


# --- the e-mail buttons, on the strict double, against real mail servers ------------------------
# Dovecot (IMAP) and aiosmtpd (SMTP) on loopback as in test_mail.py; without Dovecot these tests
# are skipped, except where CCPKH_REQUIRE_DOVECOT=1 (CI): there a missing Dovecot fails them.
from conftest import MAIL_ENV  # noqa: E402 - the mail settings the office fixtures set

OFFICES = [(f"vanphong@nut{i}.example", f"Mk-nút{i}-bí mật!") for i in range(1, 6)]
_offices = iter(OFFICES)


@pytest.fixture(scope="module")
def mail_servers():
    from mailservers import MailServers, require_servers

    require_servers()
    s = MailServers.start(dict(OFFICES))
    yield s
    s.stop()


@pytest.fixture
def memory_keyring():
    """The OS keyring, in memory (the test machine has none): where `mail-password` keeps it."""
    import keyring
    import keyring.backend

    class Backend(keyring.backend.KeyringBackend):
        priority = 1

        def __init__(self):
            super().__init__()
            self.store = {}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    previous = keyring.get_keyring()
    backend = Backend()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _mail_book(tmp_path, built_samples, monkeypatch, smtp_port: int, imap_port: int, office: tuple[str, str]):
    """The sample master with a mailbox per unit, open in the strict double, its 'Cài đặt thư'
    filled as the clerk fills it in Excel (ports typed as numbers); no CCPKH_* variable set."""
    from conftest import copy_sample

    from ccpkh_excel.store.master import Master

    for name in MAIL_ENV:
        monkeypatch.delenv(name, raising=False)
    path = copy_sample(built_samples, tmp_path / "so.xlsm")
    domain = office[0].split("@")[1]
    units = {u.code: f"{u.code.lower()}@{domain}" for u in read_plan(path).units}
    with Master.open(path) as m:
        plan = m.plan
        for u in plan.units:
            u.email = units[u.code]
        m.save(plan=plan)
    b = FakeBook(path)
    b.sheets[DASHBOARD].range("B3").value = "Quý I/2026"
    sheet = b.sheets["Cài đặt thư"]
    labels = sheet.range("A1:A20").value
    for label, value in (
        ("Máy chủ gửi thư (SMTP)", "127.0.0.1"),
        ("Cổng SMTP", str(smtp_port)),
        ("Máy chủ nhận thư (IMAP)", "127.0.0.1"),
        ("Cổng IMAP", str(imap_port)),
        ("Bảo mật (ssl/starttls/none)", "none"),
        ("Tài khoản thư", office[0]),
        ("Địa chỉ gửi", office[0]),
    ):
        sheet.range(f"B{labels.index(label) + 1}").value = value
    b.save()
    return b, units


def _reply(servers, sender: str, office: str, form: Path, tmp_path: Path, subject: str) -> None:
    from email.message import EmailMessage

    path = tmp_path / f"tra_loi_{form.name}"
    shutil.copy(form, path)
    wb = load_workbook(path, read_only=True)
    tasks = [r[0] for r in wb["Báo cáo"].iter_rows(min_row=8, max_col=1, values_only=True) if r[0]]
    wb.close()
    tasks = [t for t in tasks if not str(t).upper().startswith("NHIỆM VỤ PHÁT SINH")]
    fill(path, {t: ("Đang thực hiện", None, "Đang triển khai", "", "") for t in tasks})
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, office, subject
    msg.set_content("Kính gửi Văn phòng,\nĐơn vị gửi lại phiếu báo cáo.\nTrân trọng.")
    msg.add_attachment(
        path.read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=form.name,
    )
    servers.send(msg)


def test_send_collect_and_remind_by_email_from_the_buttons(
    tmp_path, built_samples, monkeypatch, mail_servers, memory_keyring
):
    from ccpkh_excel.features.mailing import KEYRING_SERVICE

    office = next(_offices)
    memory_keyring.set_password(KEYRING_SERVICE, office[0], office[1])  # `ccpkh-excel mail-password`, once
    book, units = _mail_book(
        tmp_path, built_samples, monkeypatch, mail_servers.smtp_port, mail_servers.imap_port, office
    )
    book.sheets[DASHBOARD].range("B6").value = date(2026, 4, 3)  # two days before the return date

    # Gửi phiếu qua thư: each unit its own form, recorded in the open book and saved by "Excel"
    saves = book.saves
    macros.send_mail(book)
    a = _alert(book)
    assert a["mode"] == "info" and a["prompt"].startswith("Kỳ Quý I/2026: đã gửi 16/16 thư"), a["prompt"]
    assert "hạn gửi lại 05/04/2026" in a["prompt"] and f"Phiếu trong thư mục {tmp_path / 'phieu_gui'}." in a["prompt"]
    assert book.saves > saves
    forms = {f.name: f for f in (tmp_path / "phieu_gui").glob("*.xlsx")}
    assert len(forms) == 16
    assigned = [u for u in units if mail_servers.messages(units[u])]
    assert len(assigned) == 16
    for code in assigned:
        (msg,) = mail_servers.messages(units[code])
        ((attachment),) = list(msg.iter_attachments())
        assert attachment.get_filename().startswith(f"{code}_") and "Quý I/2026" in msg["Subject"]
        assert attachment.get_content() == forms[attachment.get_filename()].read_bytes()
    sent_rows = [r for r in book.sheets["Thư điện tử"].range("A2:H40").value if r[0] is not None]
    assert len(sent_rows) == 16 and {r[1] for r in sent_rows} == set(assigned)  # written into the open book
    assert [r.unit for r in read_records(book.path).mail] == [r[1] for r in sent_rows]  # and saved

    macros.send_mail(book)  # a second press sends nothing
    a = _alert(book)["prompt"]
    assert a.startswith("Kỳ Quý I/2026: không có thư nào cần gửi.") and "không gửi lại (16)" in a
    assert all(len(mail_servers.messages(units[c])) == 1 for c in assigned)

    # two units reply with their forms filled; Nhận phiếu từ hộp thư merges them
    replied = assigned[:2]
    for code in replied:
        form = next(f for n, f in forms.items() if n.startswith(f"{code}_"))
        _reply(mail_servers, units[code], office[0], form, tmp_path, f"Re: phiếu của {code}")
    macros.collect_mail(book)
    a = _alert(book)
    assert a["mode"] == "info", a["prompt"]
    assert a["prompt"].startswith("Hộp thư INBOX: 2 thư mới có tệp Excel (2 tệp)"), a["prompt"]
    assert "Đã tổng hợp 2/2 tệp." in a["prompt"] and "Chưa nộp (14):" in a["prompt"]
    summary = read_records(book.path).summary
    assert {r.unit for r in summary} == set(replied)
    merged_rows = [r for r in book.sheets["Tổng hợp"].range("A2:B200").value if r[0] is not None]
    assert {r[1] for r in merged_rows} == set(replied) and len(merged_rows) == len(summary)
    macros.collect_mail(book)
    assert _alert(book)["prompt"].startswith("Hộp thư INBOX: 0 thư mới có tệp Excel (0 tệp)")

    # Nhắc hạn, đôn đốc: the 14 that have not returned, before the date a reminder (no công văn)
    macros.remind_mail(book)
    a = _alert(book)["prompt"]
    assert a.startswith("Kỳ Quý I/2026, tính đến 03/04/2026: đã gửi 14 thư nhắc hạn và 0 thư đôn đốc"), a
    for code in assigned:
        inbox = mail_servers.messages(units[code])
        assert len(inbox) == (1 if code in replied else 2), code
    macros.remind_mail(book)
    assert "Đã nhắc hôm nay, không gửi thêm (14)" in _alert(book)["prompt"]
    actions = [r.action for r in read_records(book.path).mail]
    assert actions.count("Gửi phiếu") == 16 and actions.count("Nhận phiếu") == 2 and actions.count("Nhắc hạn") == 14
    from ccpkh_excel.features.excel.dashboard import lost_macros

    assert lost_macros(book.path) is None  # the book as Excel saved it keeps its buttons
    for name in ("Thư điện tử", "Tổng hợp", "Theo dõi nộp"):
        ws = book.wb[name]
        for t in ws.tables.values():
            last = max(r for r in range(1, ws.max_row + 1) if any(c.value is not None for c in ws[r]))
            assert t.ref.endswith(str(max(last, 2))), (name, t.ref, last)  # tables resized to their data


def test_a_password_missing_from_the_keyring_says_to_run_mail_password(
    tmp_path, built_samples, monkeypatch, memory_keyring
):
    """No server needed: the button stops before connecting, and nothing is written."""
    book, _ = _mail_book(tmp_path, built_samples, monkeypatch, 1, 1, OFFICES[-1])
    before = read_records(book.path)
    for entry in (macros.send_mail, macros.collect_mail, macros.remind_mail):
        entry(book)
        a = _alert(book)
        assert a["mode"] == "critical" and "Traceback" not in a["prompt"], a["prompt"]
        assert a["prompt"].startswith(f"Máy này chưa lưu mật khẩu thư của tài khoản '{OFFICES[-1][0]}'")
        assert f"ccpkh-excel mail-password --user {OFFICES[-1][0]}" in a["prompt"]
    assert read_records(book.path).mail == before.mail == []
    assert not (tmp_path / "phieu_gui").exists()


def test_a_wrong_password_or_a_server_down_is_a_message_and_nothing_is_written(
    tmp_path, built_samples, monkeypatch, mail_servers, memory_keyring
):
    from mailservers import free_port

    from ccpkh_excel.features.mailing import KEYRING_SERVICE

    office = next(_offices)
    memory_keyring.set_password(KEYRING_SERVICE, office[0], "sai mật khẩu")
    book, units = _mail_book(
        tmp_path, built_samples, monkeypatch, mail_servers.smtp_port, mail_servers.imap_port, office
    )
    for entry in (macros.send_mail, macros.collect_mail):
        entry(book)
        a = _alert(book)
        assert a["mode"] == "critical" and "Traceback" not in a["prompt"] and "sai mật khẩu" not in a["prompt"]
    memory_keyring.set_password(KEYRING_SERVICE, office[0], office[1])
    book.sheets["Cài đặt thư"].range("B3").value = str(free_port())  # nothing listens there
    macros.send_mail(book)
    a = _alert(book)
    assert a["mode"] == "critical" and "Traceback" not in a["prompt"], a["prompt"]
    assert read_records(book.path).mail == [] and all(not mail_servers.messages(a) for a in units.values())
