"""Phân công written streamed (openpyxl writes the sheet with one body row — styles, table,
protection — and the store writes every row): the same sheet a person sees as when openpyxl
wrote it whole, and the formulas of Thống kê computed over exactly what is written."""

import re
import zipfile

from openpyxl import load_workbook

from ccpkh_excel import write_plan
from ccpkh_excel.domain.plan import Plan, Task, build_assignments, number_tasks
from ccpkh_excel.domain.units import Unit
from ccpkh_excel.store import formula_values as fv
from ccpkh_excel.store import records as rec
from ccpkh_excel.store import xlsxfast
from ccpkh_excel.store.master import Master
from ccpkh_excel.store.schema import ASSIGN

NAMES = ['Sở "Nội vụ" <số 1> & cộng sự', "=SUM(A1)", "  khoảng trắng  ", "Dòng\nmới"]


def _plan(n_units: int = 40, n_tasks: int = 6) -> Plan:
    units = [
        Unit(f"DV{i:02d}", NAMES[i % len(NAMES)] + f" {i}", [], ["Tất cả"] if i % 4 else ["Nhóm B"], "")
        for i in range(1, n_units + 1)
    ]
    tasks = [
        Task(
            stt=str(k),
            field=f"Lĩnh vực {k % 3}",
            content=f"Nhiệm vụ {k}",
            lead="Tất cả" if k % 2 else "Nhóm B",
            coop="Nhóm B" if k % 2 else "",
            deadline="Quý II/2026",
        )
        for k in range(1, n_tasks + 1)
    ]
    plan = Plan(info={"Tên loại": "Kế hoạch", "Năm": 2026}, units=units)
    plan.tasks = number_tasks(tasks)
    return plan


def test_phan_cong_holds_every_row_styled_in_its_table(tmp_path):
    path = tmp_path / "so.xlsx"
    plan = _plan()
    write_plan(plan, path)
    expected = [[a.task, a.unit, a.unit_name, a.role] for a in build_assignments(plan)]
    assert len(expected) > 100
    wb = load_workbook(path)
    ws = wb[ASSIGN.name]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2, max_col=4)]
    assert [[xlsxfast.written_text(v) for v in r] for r in expected] == rows
    assert ws.tables["PhanCong"].ref == f"A1:D{len(expected) + 1}"
    assert ws.protection.sheet and ws.freeze_panes == "A2"
    assert ws["F1"].value.startswith("Sheet tự sinh")
    body = {c.style_id for r in ws.iter_rows(min_row=2, max_col=4) for c in r}
    assert len(body) == 1 and ws["A2"].font.name == "Times New Roman"
    assert ws.max_row == len(expected) + 1
    assert Master.read(path).assignments[0].task == expected[0][0]


def test_the_formulas_read_phan_cong_as_written(tmp_path):
    path = tmp_path / "so.xlsx"
    plan = _plan(25, 4)
    write_plan(plan, path)
    rows = [[a.task, a.unit, a.unit_name, a.role] for a in build_assignments(plan)]
    with zipfile.ZipFile(path) as z:
        part = xlsxfast.sheet_paths(z)[ASSIGN.name]
        written = fv.read_sheet(ASSIGN.name, z.read(part).decode("utf-8"), [])
        xml = z.read(part).decode("utf-8")
    head_only = xml.split('<row r="2"')[0] + "</sheetData>" + xml.split("</sheetData>")[1]
    body = rec._column_styles(xml, len(ASSIGN.columns))[1]
    made = rec._sheet_from_rows(ASSIGN.name, head_only, [], rows, body)
    assert made.max_row == written.max_row and made.formulas == written.formulas
    for c in set(made.columns) | set(written.columns):
        a, b = made.column(c), written.column(c)
        n = max(len(a), len(b))
        assert a + [None] * (n - len(a)) == b + [None] * (n - len(b)), c


def test_an_empty_phan_cong_keeps_one_styled_row(tmp_path):
    path = tmp_path / "so.xlsx"
    plan = _plan(3, 0)
    write_plan(plan, path)
    ws = load_workbook(path)[ASSIGN.name]
    assert ws.tables["PhanCong"].ref == "A1:D2"
    assert ws["A2"].value is None and ws["A2"].font.name == "Times New Roman"


def test_tong_hop_evaluation_is_one_shared_formula_with_every_value(cycle):
    """The "Đánh giá" column of Tổng hợp is written as Excel writes a filled-down formula: the
    text once in the first cell (with the range it covers), the other cells pointing to it;
    every cell keeps its own computed value, and openpyxl (as Excel) gives each row its own
    formula."""
    from datetime import date, datetime

    from returns import fill

    from ccpkh_excel.features.merging import merge_returns
    from ccpkh_excel.store.schema import SUMMARY
    from ccpkh_excel.store.stats_sheet import row_formula

    master, report = cycle
    snv = next(f for f in report.files if f.code == "SNV").file
    fill(snv, {"NV001": ("Hoàn thành", date(2026, 3, 20), "Xong", "", "")})
    merge_returns(master, [snv], now=datetime(2026, 4, 2, 8, 0))
    with zipfile.ZipFile(master) as z:
        part = xlsxfast.sheet_paths(z)[SUMMARY.name]
        xml = z.read(part).decode("utf-8")
    col = xlsxfast.col_letter(len(SUMMARY.columns))
    rows = len(Master.read(master).records.summary)
    assert rows > 2
    cells = re.findall(rf'<c r="{col}(\d+)"[^>]*>(<f[^>]*?(?:/>|>.*?</f>))<v>([^<]*)</v></c>', xml)
    assert [int(n) for n, _, _ in cells] == list(range(2, rows + 2))
    first = cells[0][1]
    assert f'ref="{col}2:{col}{rows + 1}"' in first and 't="shared"' in first and 'si="0"' in first
    assert all(f == '<f t="shared" si="0"/>' for _, f, _ in cells[1:])
    assert xml.count("IF(F") == 1  # the text once, not on every row
    ws = load_workbook(master)[SUMMARY.name]
    values = load_workbook(master, data_only=True)[SUMMARY.name]
    for n, _, v in cells:
        n = int(n)
        assert ws[f"{col}{n}"].value == "=" + row_formula(n)
        assert values[f"{col}{n}"].value == v and v
    assert "Hoàn thành đúng hạn" in {v for _, _, v in cells}


def test_text_cells_keep_spaces_only_where_they_matter():
    """xml:space="preserve" where the spaces would otherwise be lost (as Excel writes it)."""
    plain = xlsxfast.cell("A1", "Sở Nội vụ", 3)
    assert "<t>Sở Nội vụ</t>" in plain
    for text in (" đầu", "cuối ", "hai  dấu cách", "xuống\ndòng", "tab\there"):
        assert f'<t xml:space="preserve">{xlsxfast.text(text)}</t>' in xlsxfast.cell("A1", text, 3)


def test_sheet_frame_keeps_rows_one_and_two_and_everything_around_the_rows(tmp_path, monkeypatch):
    """A record sheet is rewritten from what surrounds its rows and its first two rows (their
    styles), read streamed; a sheet of two rows, one whose rows are not recognised, and one
    whose tail is larger than the window kept are read whole — the frame is always the same."""

    monkeypatch.setattr(rec, "_FRAME_CHUNK", 64)  # many chunks even for a small sheet

    def sheet(n_rows: int, tail: str = "") -> str:
        rows = "".join(
            f'<row r="{r}"><c r="A{r}" s="{r % 7}" t="inlineStr"><is><t>ô {r}</t></is></c></row>'
            for r in range(1, n_rows + 1)
        )
        return f'<worksheet><dimension ref="A1:A{n_rows}"/><sheetData>{rows}</sheetData><autoFilter ref="A1:A{n_rows}"/>{tail}</worksheet>'

    def expected(xml: str) -> str:
        return re.sub(r'<row r="(?:[3-9]|\d\d+)">.*?</row>', "", xml)

    cases = {
        "many.xml": sheet(500),
        "two.xml": sheet(2),
        "odd.xml": sheet(40).replace('<row r="3">', '<row spans="1:1" r="3">'),
        "long_tail.xml": sheet(40, tail="<extLst>" + "ế" * 400 + "</extLst>"),
    }
    path = tmp_path / "k.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in cases.items():
            z.writestr(name, xml)
    with zipfile.ZipFile(path) as z:
        for name, xml in cases.items():
            frame = rec.sheet_frame(z, name)
            if name in ("odd.xml", "long_tail.xml"):
                assert frame == xml  # rows not recognised, or a tail past the window: whole, as before
            else:
                assert frame == expected(xml), name
            assert xlsxfast.split_sheet(frame)[1] == xlsxfast.split_sheet(xml)[1]
            assert {k: v for k, v in xlsxfast.styles_of(frame).items() if k in ("A1", "A2")} == {
                k: v for k, v in xlsxfast.styles_of(xml).items() if k in ("A1", "A2")
            }


def test_formulas_over_phan_cong_as_read_equal_those_over_the_file(cycle, tmp_path):
    """A save that keeps Phân công computes Thống kê from the rows the store read from the file
    (not reading the sheet again): the same values, cell for cell, as reading the file."""
    from datetime import date

    from ccpkh_excel.store.master import _assign_rows
    from ccpkh_excel.store.schema import ASSIGN, STATS

    master, _ = cycle
    m = Master.read(master)
    records, dues = m.records, m.dues()
    rows = _assign_rows(m.assignments)
    assert rows
    out = {}
    for name, known in (("file", None), ("known", {ASSIGN: rows}), ("none", {ASSIGN: rows[:1]})):
        target = tmp_path / f"{name}.xlsx"
        rec.write_records(master, target, records, dues, ("Quý I/2026", date(2026, 4, 10)), None, known)
        with zipfile.ZipFile(target) as z:
            out[name] = z.read(xlsxfast.sheet_paths(z)[STATS]).decode("utf-8")
    assert out["file"] == out["known"]
    assert out["none"] != out["file"]  # the rows given are the ones the formulas read


def test_tong_hop_made_by_several_processes_is_the_same_bytes(cycle, tmp_path, monkeypatch):
    """A large Tổng hợp is made in slices by forked workers: the sheet written is byte for byte
    the one made in one process (slices joined in order, row numbers and the shared formula
    right across their edges)."""
    from datetime import date, datetime

    from returns import fill

    from ccpkh_excel.features.merging import merge_returns
    from ccpkh_excel.store import processes
    from ccpkh_excel.store.schema import SUMMARY

    master, report = cycle
    merge_returns(master, [fill(f.file, {}) for f in report.files], now=datetime(2026, 4, 2, 8, 0))
    m = Master.read(master)
    records, dues = m.records, m.dues()
    assert len(records.summary) > 20
    monkeypatch.setattr(rec, "SUMMARY_SLICE", 7)  # slices edges inside the sheet, a short last slice
    out = {}
    for n in ("1", "2", "3"):
        monkeypatch.setenv(processes.WORKERS_ENV, n)
        target = tmp_path / f"so_{n}.xlsx"
        rec.write_records(master, target, records, dues, ("Quý I/2026", date(2026, 4, 10)))
        with zipfile.ZipFile(target) as z:
            out[n] = z.read(xlsxfast.sheet_paths(z)[SUMMARY.name])
    assert out["1"] == out["2"] == out["3"]
    assert out["1"].count(b"<row ") == len(records.summary) + 1
