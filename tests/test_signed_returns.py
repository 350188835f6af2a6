"""Signed forms against a hostile unit: forgeries are built the way an attacker would —
editing the file, recomputing every hash a file could carry without the plan's secret — and
each is rejected whole or row by row, with nothing counted that should not be."""

import csv
import hashlib
import re
import shutil
import unicodedata
import zipfile
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from returns import fill, tamper

from ccpkh_excel import Plan, Task, Unit, check_master, generate, merge_returns, read_records, read_status, write_plan
from ccpkh_excel.domain.status import MERGED, MERGED_WARN, REJECTED
from ccpkh_excel.features.forms import csv_safe
from ccpkh_excel.store.master import Master

DONE = ("Hoàn thành", date(2026, 3, 20), "Xong", "", "")


def _file(report, code):
    return next(f for f in report.files if f.code == code).file


def _meta(path):
    wb = load_workbook(path)
    return wb, wb["_ccpkh"]


def _set_meta(ws, key, value):
    for row in ws.iter_rows():
        if row[0].value == key:
            row[1].value = value
            return
    raise KeyError(key)


def _sha(*parts):
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _stored(master, unit):
    return [r for r in read_records(master).summary if r.unit == unit]


def test_the_secret_stays_in_the_master(cycle):
    master, report = cycle
    secret = Master.read(master).secret
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    for f in report.files:
        with zipfile.ZipFile(f.file) as z:
            assert all(secret.encode() not in z.read(n) for n in z.namelist())
    with zipfile.ZipFile(master) as z:  # kept in a very hidden sheet
        wbxml = z.read("xl/workbook.xml").decode()
    assert re.search(r'<sheet [^>]*name="_ccpkh"[^>]*state="veryHidden"', wbxml)


def test_edited_text_with_recomputed_hashes_is_rejected_whole(cycle):
    """The attack that used to work: edit a locked task text, recompute the row hash and the
    file's fingerprint (plain SHA-256 of what the file shows)."""
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": DONE})
    tamper(f, lambda ws: setattr(ws["C8"], "value", "Nhiệm vụ đã được sửa cho dễ hoàn thành"))
    wb, meta = _meta(f)
    _set_meta(meta, "NV001", _sha("NV001", "1", "Nhiệm vụ đã được sửa cho dễ hoàn thành", "Chủ trì", "Quý I/2026"))
    _set_meta(meta, "signature", _sha("whatever the attacker can compute"))
    wb.save(f)
    rep = merge_returns(master, [f])
    assert rep.files[0].outcome == REJECTED and "chữ ký của phiếu không khớp" in rep.files[0].reason
    assert _stored(master, "SNV") == []


def test_edited_text_keeping_the_macs_is_named_and_not_applied(cycle):
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": DONE, "NV002": DONE})
    tamper(f, lambda ws: setattr(ws["C8"], "value", "Nhiệm vụ đã được sửa"))
    rep = merge_returns(master, [f])
    o = rep.files[0]
    assert o.outcome == MERGED_WARN and "dòng 8: NV001 bị sửa nội dung đã khóa" in o.not_applied
    rows = {r.task: r for r in _stored(master, "SNV")}
    assert "NV001" not in rows and rows["NV002"].status == "Hoàn thành"


@pytest.mark.parametrize("where", ["sheet", "properties", "both"])
def test_relabelled_as_another_unit_is_rejected_whole(cycle, where):
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": DONE})
    wb, meta = _meta(f)
    if where in ("sheet", "both"):
        _set_meta(meta, "unit", "STP")
    if where in ("properties", "both"):
        props = wb.custom_doc_props
        for p in list(props):
            if p.name == "ccpkh_unit":
                p.value = "STP"
    if where == "properties":
        del wb["_ccpkh"]  # only the properties left, and they say STP
    wb.save(f)
    rep = merge_returns(master, [f])
    assert rep.files[0].outcome == REJECTED, rep.files[0]
    assert _stored(master, "STP") == [] and _stored(master, "SNV") == []


def test_a_form_of_another_plan_relabelled_to_this_one_is_rejected(cycle, tmp_path, built_samples):
    """Same plan id (a copy of the sample), another secret: its forms do not pass here."""
    master, _ = cycle
    other = tmp_path / "khac" / "so.xlsx"
    other.parent.mkdir()
    plan = Master.read(master).plan
    plan.info["Mã kế hoạch"] = "KH-KHAC"
    write_plan(plan, other)  # a new master: a new secret
    f = generate(other, "Quý I/2026", tmp_path / "khac" / "phieu", units=["SNV"]).files[0].file
    wb, meta = _meta(fill(f, {"NV001": DONE}))
    _set_meta(meta, "plan", Master.read(master).plan_id)
    wb.save(f)
    rep = merge_returns(master, [f])
    assert rep.files[0].outcome == REJECTED and "chữ ký" in rep.files[0].reason


def test_rewritten_metadata_is_rejected_whole(cycle):
    master, report = cycle
    for key, value in (("period", "Quý II/2026"), ("due", "2099-12-31"), ("rows", "3")):
        f = fill(_file(report, "STP"), {"NV005": DONE})
        wb, meta = _meta(f)
        _set_meta(meta, key, value)
        wb.save(f)
        rep = merge_returns(master, [f])
        assert rep.files[0].outcome == REJECTED, key
    assert _stored(master, "STP") == []


def test_a_row_for_a_task_that_does_not_exist_is_not_counted(cycle):
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": DONE})

    def add_nv999(ws):
        r = 8
        while ws.cell(row=r + 1, column=1).value:
            r += 1
        ws.insert_rows(r + 1)
        for col, v in enumerate(
            ["NV999", "99", "Việc không có trong kế hoạch", "Chủ trì", "Quý I/2026", "Hoàn thành"], 1
        ):
            ws.cell(row=r + 1, column=col, value=v)

    tamper(f, add_nv999)
    before = read_status(master, "Quý I/2026", date(2026, 4, 10)).total
    rep = merge_returns(master, [f])
    assert any("NV999" in n for n in rep.files[0].not_applied)
    assert not any(r.task == "NV999" for r in read_records(master).summary)
    after = read_status(master, "Quý I/2026", date(2026, 4, 10)).total
    assert after.tasks == before.tasks == 23


def test_the_role_comes_from_phan_cong_not_from_the_file(cycle):
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": DONE})
    tamper(f, lambda ws: setattr(ws["D8"], "value", "Phối hợp"))  # the unit claims it only cooperated
    merge_returns(master, [f])
    assert not any(r.task == "NV001" for r in _stored(master, "SNV"))  # that row was not applied
    clean = fill(_file(report, "SNV"), {"NV002": DONE})
    merge_returns(master, [clean])
    roles = {r.task: r.role for r in _stored(master, "SNV")}
    assignments = {(a.task, a.unit): a.role for a in Master.read(master).assignments}
    assert all(roles[t] == assignments[(t, "SNV")] for t in roles)


def test_a_task_no_longer_assigned_to_the_unit_is_rejected_by_name(cycle):
    master, report = cycle
    f = fill(_file(report, "STP"), {"NV005": DONE})
    plan = Master.read(master).plan
    task = next(t for t in plan.tasks if t.code == "NV005")
    task.lead, task.coop = "Sở Nội vụ", ""  # reassigned after the forms went out
    write_plan(plan, master)
    check_master(master)
    rep = merge_returns(master, [f])
    assert any("NV005 không (còn) giao cho đơn vị STP" in n for n in rep.files[0].not_applied)
    assert not any(r.task == "NV005" for r in _stored(master, "STP"))


def test_a_form_made_before_signing_is_refused_with_what_to_do(cycle):
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": DONE})
    wb, meta = _meta(f)
    _set_meta(meta, "version", "1")
    wb.save(f)
    rep = merge_returns(master, [f])
    assert rep.files[0].outcome == REJECTED
    assert "mẫu cũ" in rep.files[0].reason and "ccpkh-excel generate" in rep.files[0].reason


@pytest.mark.parametrize("written", ["<f>SUM(1,2)</f>", '<f\tt="normal">SUM(1,2)</f>', "<é:f>SUM(1,2)</é:f>"])
def test_a_formula_typed_in_a_text_cell_is_kept_as_text(cycle, written):
    """A program that saves formulas without their values: the cell is '=…', never empty —
    however the formula element is written (attributes after a tab, any namespace prefix)."""
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": ("Hoàn thành", date(2026, 3, 20), "KH", "", "")})
    with zipfile.ZipFile(f) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = next(
        n for n in parts if n.startswith("xl/worksheets/") and b"<f>" not in parts[n] and b'r="H8"' in parts[n]
    )
    xml = parts[sheet].decode()
    xml = re.sub(r'<c r="H8"[^>]*?(/>|>.*?</c>)', f'<c r="H8">{written}</c>', xml, count=1, flags=re.S)
    if "é:" in written:  # the prefix bound to SpreadsheetML on the root element
        main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        xml = re.sub(r"<worksheet ", f'<worksheet xmlns:é="{main}" ', xml, count=1)
    parts[sheet] = xml.encode()
    with zipfile.ZipFile(f, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    merge_returns(master, [f])
    row = next(r for r in _stored(master, "SNV") if r.task == "NV001")
    assert row.result == "=SUM(1,2)"


@pytest.mark.parametrize(
    "rename",
    [lambda n: unicodedata.normalize("NFD", "Phiếu " + n), lambda n: "Phiếu  " + n.upper(), lambda n: " Phiếu   " + n],
)
def test_re_merging_is_idempotent_whatever_the_file_names(cycle, tmp_path, rename):
    master, report = cycle
    a = fill(_file(report, "SNV"), {"NV001": DONE})
    bad = tmp_path / "la.xlsx"
    bad.write_bytes(b"not a workbook")
    first = tmp_path / "lan1"
    first.mkdir()
    shutil.copy(a, first / ("Phiếu " + a.name))
    shutil.copy(bad, first / ("Phiếu " + bad.name))
    merge_returns(master, [first])
    before = read_records(master)
    second = tmp_path / "lan2"
    second.mkdir()
    shutil.copy(a, second / rename(a.name))
    shutil.copy(bad, second / rename(bad.name))
    merge_returns(master, [second])
    after = read_records(master)
    assert len(after.summary) == len(before.summary)
    assert len(after.returns) == len(before.returns)


# --- generated files ----------------------------------------------------------------------------
def test_generated_files_are_distinct_short_and_listed_safely(tmp_path):
    long_name = "Phòng " + "Văn hóa và Thông tin " * 15  # about 300 characters
    units = [
        Unit("P-NV", "Phòng Nội vụ", [], ["Các phòng"], '=HYPERLINK("http://x","bấm")'),
        Unit("P NV", "Phòng Nội vụ", [], ["Các phòng"], "+84 912 345 678"),
        Unit("SO", "Sở", [], ["Các phòng"], "@so"),
        Unit("SỞ", "Sở", [], ["Các phòng"], "-1"),
        Unit("VH", long_name, [], ["Các phòng"], "\tvh@x"),
        Unit("KHONG", "Đơn vị không có việc", [], [], "\rk@x"),
    ]
    plan = Plan(info={"Năm": 2026, "Tên loại": "Kế hoạch"}, units=units)
    plan.tasks = [Task(stt="1", content="Rà soát thủ tục hành chính", lead="Các phòng", deadline="Quý I/2026")]
    master = tmp_path / "so.xlsx"
    write_plan(plan, master)
    check_master(master)
    gen = generate(
        master, "Quý I/2026", tmp_path / "gui", units=[u.code for u in units], due=date.today() + timedelta(7)
    )
    names = [f.file.name for f in gen.files]
    assert len(gen.files) == 5 and len({n.casefold() for n in names}) == 5
    assert all(len(n) <= 100 for n in names)
    assert sorted(p.name for p in (tmp_path / "gui").glob("*.xlsx")) == sorted(names)
    with open(gen.manifest, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:]] == ["P-NV", "P NV", "SO", "SỞ", "VH", "KHONG"]  # every unit, in order
    emails = [r[2] for r in rows[1:]]
    assert emails == ['\'=HYPERLINK("http://x","bấm")', "'+84 912 345 678", "'@so", "'-1", "vh@x", "k@x"]
    assert all(not cell or cell[0] not in "=+-@\t\r" for r in rows for cell in r)
    assert rows[-1][3] == "" and "không có nhiệm vụ" in rows[-1][-1]
    assert csv_safe("\tx") == "'\tx" and csv_safe("\rx") == "'\rx" and csv_safe("a=b") == "a=b"
    # each file is the unit it says it is
    for f in gen.files:
        assert load_workbook(f.file)["_ccpkh"]["B4"].value == f.code


def test_shipped_workbooks_carry_no_secret():
    """Every office copies the sample: a secret in it would be shared by all of them. The
    first `generate` on a copy makes the copy's own."""
    from ccpkh_excel.resources import workbooks_dir

    for path in workbooks_dir().glob("*.xls*"):
        with zipfile.ZipFile(path) as z:
            assert "_ccpkh" not in z.read("xl/workbook.xml").decode(), path.name


def test_a_master_without_a_secret_gets_its_own_at_the_first_generate(tmp_path):
    from ccpkh_excel.resources import sample_master

    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    shutil.copy(sample_master(), a)
    shutil.copy(sample_master(), b)
    fa = generate(a, "Quý I/2026", tmp_path / "ga", units=["SNV"]).files[0].file
    generate(b, "Quý I/2026", tmp_path / "gb", units=["SNV"])
    assert Master.read(a).secret != Master.read(b).secret
    assert merge_returns(a, [fa]).files[0].outcome in (MERGED, MERGED_WARN)  # late: the return date has passed
    assert merge_returns(b, [fa]).files[0].outcome == REJECTED  # same plan id, another office's copy
