"""Every formula the tool writes carries its computed value, equal to LibreOffice's own
recalculation; the charts of Thống kê show their axes, a title and their figures."""

import importlib.util
import io
import re
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook
from returns import fill

from ccpkh_excel.domain.status import LATE, NOT_STARTED, ON_TIME, OVERDUE
from ccpkh_excel.features.merging import merge_returns
from ccpkh_excel.store import formula_values as fv
from ccpkh_excel.store import xlsxfast

ROOT = Path(__file__).resolve().parents[1]


def make_renders():
    """docs/make_renders.py as a module (it is not a package)."""
    spec = importlib.util.spec_from_file_location("make_renders", ROOT / "docs" / "make_renders.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- helpers -----------------------------------------------------------------------------------
_FORMULA_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"(?:\s[^>]*?)?(?<!/)>(?:(?!</c>).)*?<f[ >].*?</c>', re.S)


def formula_cells(path: Path) -> dict[str, list[tuple[int, int]]]:
    """(row, column), 0-based, of every formula cell of every sheet."""
    out: dict[str, list[tuple[int, int]]] = {}
    with zipfile.ZipFile(path) as z:
        for name, part in xlsxfast.sheet_paths(z).items():
            for m in _FORMULA_CELL.finditer(z.read(part).decode("utf-8")):
                out.setdefault(name, []).append((int(m.group(2)) - 1, fv.col_index(m.group(1)) - 1))
    return out


def without_values(path: Path, out: Path) -> Path:
    """A copy whose formulas carry no cached value: LibreOffice must calculate them all (with a
    value there, it shows the value and does not recalculate)."""
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                xml = data.decode("utf-8")
                xml = re.sub(r'(<c r="[A-Z]+\d+"[^>]*?) t="(?:str|b|e|n)"(>(?:<f[ >]))', r"\1\2", xml)
                xml = re.sub(r"(<f [^>]*/>|<f(?: [^>]*)?>.*?</f>)<v>[^<]*</v>", r"\1", xml, flags=re.S)
                data = xml.encode("utf-8")
            zout.writestr(info, data)
    return out


def recalculated_by_libreoffice(path: Path, work: Path) -> Path:
    """The workbook as LibreOffice calculates it: the values removed, then saved by LibreOffice."""
    from returns import libreoffice_resave

    work.mkdir(parents=True, exist_ok=True)
    return libreoffice_resave(without_values(path, work / path.name), work / "lo")


def grids(path: Path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def _at(grid: list[list], r: int, c: int):
    return grid[r][c] if r < len(grid) and c < len(grid[r]) else None


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) < 1e-9
    return a == b


def compare_with_libreoffice(path: Path, work: Path) -> tuple[int, list]:
    """(how many formula cells, those whose cached value differs from LibreOffice's)."""
    cells = formula_cells(path)
    ours, theirs = grids(path), grids(recalculated_by_libreoffice(path, work))
    differ, n = [], 0
    for sheet, refs in cells.items():
        for r, c in refs:
            n += 1
            a, b = _at(ours[sheet], r, c), _at(theirs[sheet], r, c)
            if a in (None, "") or not _same(a, b):
                differ.append((sheet, f"{xlsxfast.col_letter(c + 1)}{r + 1}", a, b))
    return n, differ


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from rich.console import Console

    from ccpkh_excel.frontends.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    return run_demo(out, Console(file=io.StringIO())).master


# --- the values ---------------------------------------------------------------------------------
def test_every_formula_of_the_demo_master_carries_a_value(demo):
    cells = formula_cells(demo)
    assert set(cells) == {"Tổng hợp", "Thống kê"}
    values = grids(demo)
    blank = [(s, r, c) for s, refs in cells.items() for r, c in refs if _at(values[s], r, c) in (None, "")]
    assert sum(map(len, cells.values())) >= 400 and not blank
    with zipfile.ZipFile(demo) as z:
        assert 'fullCalcOnLoad="1"' in z.read("xl/workbook.xml").decode()  # Excel recalculates anyway


@pytest.mark.libreoffice
def test_values_equal_libreoffice_recalculation(demo, tmp_path):
    n, differ = compare_with_libreoffice(demo, tmp_path)
    assert n >= 400 and differ == []


def test_pandas_and_calamine_read_the_figures(demo):
    import pandas as pd

    from ccpkh_excel.store.stats_sheet import layout

    stats = pd.read_excel(demo, sheet_name="Thống kê", header=None, engine="calamine")
    summary = pd.read_excel(demo, sheet_name="Tổng hợp", engine="calamine")
    assert summary["Đánh giá"].notna().all() and set(summary["Đánh giá"]) <= {
        ON_TIME,
        LATE,
        OVERDUE,
        NOT_STARTED,
        "Đang thực hiện",
    }
    total = next(i for i, v in enumerate(stats[0]) if v == "Tổng cộng")
    assert stats.iloc[total, 1] == 23 and stats.iloc[total, 1:7].notna().all()
    assert layout(8, 15, 23).total_row == total + 1
    wb = CalamineWorkbook.from_path(str(demo))
    rows = wb.get_sheet_by_name("Thống kê").to_python()
    assert [v for v in rows[total][1:8]] == list(stats.iloc[total, 1:8])


@pytest.mark.libreoffice
def test_values_stay_right_after_check_status_and_a_second_merge(cycle, tmp_path):
    from ccpkh_excel import check_master, read_status

    master, report = cycle
    f = {x.code: x.file for x in report.files}
    fill(
        f["SNV"],
        {"NV001": ("Hoàn thành", date(2026, 3, 20), "", "", ""), "NV003": ("Đang thực hiện", None, "", "", "")},
    )
    merge_returns(master, [f["SNV"]], now=datetime(2026, 4, 10, 9))
    fill(f["VPUBND"], {"NV003": ("Hoàn thành", date(2026, 2, 20), "", "", "")})
    merge_returns(master, [f["VPUBND"]], now=datetime(2026, 4, 11, 9))  # a second merge
    n, differ = compare_with_libreoffice(master, tmp_path / "merged")
    assert n > 100 and differ == []
    # the library reads the same figures a previewer shows
    st = read_status(master, "Quý I/2026", date(2026, 4, 11))
    stats = grids(master)["Thống kê"]
    total = next(r for r in stats if r and r[0] == "Tổng cộng")
    assert total[1:8] == [
        st.total.tasks,
        st.total.on_time,
        st.total.late,
        st.total.in_progress,
        st.total.overdue,
        st.total.rest,
        st.total.pct,
    ]
    # check rewrites the plan's sheets with openpyxl: the values are written again
    from openpyxl import load_workbook

    wb = load_workbook(master)
    wb["Danh mục nhiệm vụ"]["A3"] = None  # a task without a code: check numbers it and saves
    wb.save(master)
    assert check_master(master).saved
    n, differ = compare_with_libreoffice(master, tmp_path / "checked")
    assert n > 100 and differ == []


def test_a_form_workbook_holds_no_formula_without_a_value(cycle):
    """A unit's form holds no cell formula at all (its overdue warning is conditional
    formatting, its checks data validation), so no reader can show a blank where a figure
    should be; the master, which does hold formulas, is seen by the same check."""
    master, report = cycle
    for f in report.files:
        assert formula_cells(f.file) == {}, f.file.name
    assert sum(map(len, formula_cells(master).values())) >= 100  # the check finds formulas where there are


def test_every_formula_loses_its_value_before_libreoffice_calculates(cycle, tmp_path):
    """The comparison with LibreOffice strips every cached value — plain formulas, the first cell
    of a shared formula (which carries the text) and the cells that only refer to it."""
    from datetime import datetime

    from returns import fill

    from ccpkh_excel.features.merging import merge_returns

    master, report = cycle
    merge_returns(master, [fill(report.files[0].file, {})], now=datetime(2026, 4, 2, 8, 0))
    stripped = without_values(master, tmp_path / "khong_gia_tri.xlsx")
    with zipfile.ZipFile(stripped) as z:
        xml = "".join(z.read(p).decode("utf-8") for p in xlsxfast.sheet_paths(z).values())
    assert '<f t="shared"' in xml and "<f>" in xml
    assert not re.search(r"</f><v>|<f [^>]*/><v>", xml)


def test_summary_evaluation_follows_excel_semantics():
    due = date(2026, 3, 31)
    as_of = fv.excel_value(date(2026, 4, 10))
    assert fv.summary_evaluation("Hoàn thành", date(2026, 3, 1), "", due, as_of) == ON_TIME
    assert fv.summary_evaluation("hoàn thành", "", datetime(2026, 4, 1, 8), due, as_of) == LATE  # = ignores case
    assert fv.summary_evaluation("Hoàn thành", "", "", due, as_of) == ON_TIME  # INT(blank) = 0
    assert fv.summary_evaluation("Hoàn thành", "không rõ", "", due, as_of) == LATE  # text > numbers
    assert fv.summary_evaluation("", "", "", due, as_of) == OVERDUE
    assert fv.summary_evaluation("", "", "", "", as_of) == NOT_STARTED


def test_the_evaluator_counts_in_linear_time():
    import time

    n = 60_000
    sheet = fv.Sheet("Data", max_row=n)
    sheet.columns[1] = [f"NV{i % 500:03d}" for i in range(n)]
    sheet.columns[2] = ["Chủ trì" if i % 3 else "Phối hợp" for i in range(n)]
    stats = fv.Sheet("S")
    for r in range(1, 501):
        stats.set(r, 1, f"NV{r - 1:03d}")
        stats.formulas[(r, 2)] = f'COUNTIFS(Data!$A:$A,A{r},Data!$B:$B,"chủ trì")'
    t = time.perf_counter()
    values = fv.sheet_values(fv.Book([sheet, stats]), stats)
    assert time.perf_counter() - t < 2
    assert values[(1, 2)] == sum(1 for i in range(n) if i % 500 == 0 and i % 3)


def test_countifs_with_plain_and_tested_criteria_counts_right_in_linear_time():
    """Plain criteria pick the rows by index, the others (comparisons, wildcards, numbers) are
    tested on those rows only: the same count as testing every row ("=x" forces the test)."""
    import random
    import time

    rnd = random.Random(7)
    n = 60_000
    sheet = fv.Sheet("Data", max_row=n)
    sheet.columns[1] = [f"DV{rnd.randrange(300):03d}" for _ in range(n)]
    sheet.columns[2] = [rnd.choice(["Chủ trì", "Phối hợp", None, "chủ trì"]) for _ in range(n)]
    sheet.columns[3] = [rnd.choice([float(rnd.randrange(46000, 46400)), None, "", "x", True]) for _ in range(n)]
    stats = fv.Sheet("S")
    stats.set(1, 3, 46200.0)
    for r in range(1, 301):
        stats.set(r, 1, f"DV{r - 1:03d}")
        stats.formulas[(r, 2)] = f'COUNTIFS(Data!$A:$A,A{r},Data!$B:$B,"Chủ trì",Data!$C:$C,"<"&$C$1)'
        stats.formulas[(r, 5)] = f'COUNTIFS(Data!$A:$A,A{r},Data!$B:$B,"Ch?*",Data!$C:$C,"<>")'
    t = time.perf_counter()
    book = fv.Book([sheet, stats])
    values = fv.sheet_values(book, stats)
    assert time.perf_counter() - t < 5  # 600 scans of 60,000 rows would take a minute
    for r in range(1, 301, 23):  # the same as every row tested
        a = f'"="&A{r}'
        assert values[(r, 2)] == book.evaluate(
            f'COUNTIFS(Data!$A:$A,{a},Data!$B:$B,"=Chủ trì",Data!$C:$C,"<"&$C$1)', "S"
        )
        assert values[(r, 5)] == book.evaluate(f'COUNTIFS(Data!$A:$A,{a},Data!$B:$B,"=Ch?*",Data!$C:$C,"<>")', "S")
    want = sum(
        1
        for a, b, c in zip(*(sheet.columns[i] for i in (1, 2, 3)), strict=True)
        if a == "DV005" and b in ("Chủ trì", "chủ trì") and type(c) is float and c < 46200
    )
    assert values[(6, 2)] == want > 0


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("ROUND(100*1/23,1)", 4.3),
        ("ROUND(2.5,0)", 3.0),
        ('IF(""="",1,2)', 1.0),
        ('IF(A1>0,"x","y")', "x"),
        ("1/0", fv.DIV0),
        ('COUNTIF(A1:A3,">1")', 2.0),
        ('COUNTIF(B1:B3,"a*")', 2.0),
        ("SUM(A1:A3)", 6.0),
        ('AND(A1=1,B1="ab")', True),
    ],
)
def test_evaluator(formula, expected):
    s = fv.Sheet("S")
    for r, (a, b) in enumerate(((1.0, "ab"), (2.0, "AC"), (3.0, "b")), start=1):
        s.set(r, 1, a)
        s.set(r, 2, b)
    assert fv.Book([s]).evaluate(formula, "S") == expected


# --- one compiled formula for every formula of a shape -------------------------------------------
def _shape_book() -> tuple[list[fv.Sheet], fv.Sheet]:
    """A data sheet (text, numbers, blanks, booleans, an error) and a sheet of per-row formulas
    of a few shapes: relative and absolute references, ranges, constants, text with digits."""
    import random

    rnd = random.Random(11)
    data = fv.Sheet("Data 1", max_row=60)
    for r in range(1, 61):
        data.set(r, 1, f"DV{r % 7}")
        data.set(r, 2, rnd.choice(["Chủ trì", "chủ trì", "Phối hợp", None]))
        data.set(r, 3, rnd.choice([float(rnd.randrange(5)), None, "", "x", True, fv.ExcelError("#N/A"), "#N/A"]))
    s = fv.Sheet("S")
    s.set(1, 2, 2.0)
    s.set(2, 2, "Chủ trì")
    for r in range(3, 40):
        s.set(r, 1, f"DV{r % 9}")
        s.set(r, 3, float(r % 4))
        s.formulas[(r, 4)] = f"COUNTIFS('Data 1'!$A:$A,A{r},'Data 1'!$B:$B,$B$2)"
        s.formulas[(r, 5)] = f"IF(C{r}=0,0,ROUND(100*D{r}/C{r},1))+$B$1*{r % 5}"
        s.formulas[(r, 6)] = f'"x{r % 3}"&A{r}&C{r + 1}&"-"&SUM($C$3:C{r})'
        s.formulas[(r, 7)] = f"COUNTIF('Data 1'!C{r % 9 + 1}:C{r % 9 + 20},\"#N/A\")+1.5*{r % 3}.25"
        s.formulas[(r, 8)] = f"COUNTIFS('Data 1'!$A$1:$A${r},\"DV{r % 7}\",'Data 1'!$C$1:$C${r},\"<{r % 4}\")"
        s.formulas[(r, 9)] = f"IF(AND(E{r}>0,OR(C{r}=1,D{r}>{r % 3})),-E{r}%,INT(E{r}/{r % 4}))"
        s.formulas[(r, 10)] = f"SUM(D{r}:E{r})+COUNTIF(D3:D{r},D{r})"
    return [data, s], s


def test_formulas_of_one_shape_share_a_compiled_formula_and_compute_what_each_alone_does(monkeypatch):
    sheets, s = _shape_book()
    compiled = []
    real = fv.Book._compile_formula

    def counting(self, formula, sheet):
        compiled.append(formula)
        return real(self, formula, sheet)

    monkeypatch.setattr(fv.Book, "_compile_formula", counting)
    values = fv.sheet_values(fv.Book(sheets), s)
    assert len(values) == 37 * 7
    # one compiled formula a shape; text and decimals are part of the shape (columns 6, 7, 8)
    assert len(compiled) == 4 + 3 + 3 + len({(r % 7, r % 4) for r in range(3, 40)}), compiled
    for (r, c), v in values.items():
        alone = fv.Book(sheets)  # a fresh book: this formula parsed and compiled on its own
        assert alone.value("S", r, c) == v or (v != v and alone.value("S", r, c) != v), (r, c, s.formulas[(r, c)])
        assert type(alone.value("S", r, c)) is type(v)


@pytest.mark.parametrize(
    "first, second",
    [
        ("A1+1", "A1+1.5"),  # a decimal's digits are part of the shape
        ('"x1"&A1', '"x2"&A1'),  # so are text's
        ("'Data 1'!A1", "'Data 2'!A1"),  # and a sheet name's
        ("A1*2", "A1*20"),  # a whole number is read from each formula
        ("$A$1", "$A$2"),  # absolute rows too
        ("SUM(A1:A3)", "SUM(A1:A2)"),
        ("A1+1E2", "A1+1E3"),
        ('COUNTIF(B1:B3,"<a2")', 'COUNTIF(B1:B3,"<a3")'),
    ],
)
def test_formulas_of_different_content_are_not_mixed_up(first, second):
    data1, data2, s = fv.Sheet("Data 1"), fv.Sheet("Data 2"), fv.Sheet("S")
    for sheet, k in ((data1, 1.0), (data2, 100.0), (s, 10.0)):
        for r in (1, 2, 3):
            sheet.set(r, 1, k * r)
            sheet.set(r, 2, f"a{r}")
    s.formulas[(1, 5)], s.formulas[(2, 5)] = first, second
    shared = fv.sheet_values(fv.Book([data1, data2, s]), s)
    alone = [fv.Book([data1, data2, s]).evaluate(f, "S") for f in (first, second)]
    assert [shared[(1, 5)], shared[(2, 5)]] == alone
    assert alone[0] != alone[1]


def test_a_row_of_too_many_digits_is_not_read_and_others_of_its_shape_are():
    s = fv.Sheet("S")
    s.set(1, 1, 4.0)
    book = fv.Book([s])
    assert book.evaluate("A1+1", "S") == 5.0
    assert book.evaluate("A" + "9" * 5000 + "+1", "S") == fv.NAME  # int() does not read it: #NAME? as before
    assert book.evaluate("A1+2", "S") == 6.0
    assert book.evaluate("A0+(1", "S") == fv.NAME  # a shape not read


def test_countifs_keeps_errors_apart_from_text_and_booleans_apart_from_numbers():
    s = fv.Sheet("S")
    for r, v in enumerate([fv.ExcelError("#N/A"), "#N/A", "#n/a", True, 1.0, None, ""], start=1):
        s.set(r, 1, v)
        s.set(r, 2, "k")
    book = fv.Book([s])
    assert book.evaluate('COUNTIFS(A1:A7,"#N/A",B1:B7,"k")', "S") == 2.0  # the texts, not the error
    assert book.evaluate('COUNTIF(A1:A7,"")', "S") == 2.0
    assert book.evaluate("COUNTIF(A1:A7,TRUE)", "S") == 1.0
    assert book.evaluate("COUNTIF(A1:A7,1)", "S") == 1.0


# --- the charts ----------------------------------------------------------------------------------
def _charts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n).decode("utf-8") for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")]


def _strip_ns(xml: str) -> str:
    return re.sub(r"<(/?)c:", r"<\1", xml)


def test_charts_show_axes_titles_and_values(demo):
    charts = _charts(demo)
    assert len(charts) == 2
    for xml in map(_strip_ns, charts):
        assert re.search(r"<chart><title>", xml)
        axes = re.findall(r"<(catAx|valAx)>(.*?)</\1>", xml, re.S)
        assert sorted(a for a, _ in axes) == ["catAx", "valAx"]
        for _, body in axes:
            assert '<delete val="0"/>' in body  # openpyxl 3.1 leaves it out; Excel then hides the axis
            assert "<title>" in body
        for ser in re.findall(r"<ser>.*?</ser>", xml, re.S):
            assert re.search(r'<dLbls>.*?<showVal val="1"/>.*?</dLbls>', ser, re.S)
            assert "<numCache>" in ser and "<strCache>" in ser  # the figures, for viewers that do not calculate


def _series_refs(path: Path) -> list[tuple[str, str]]:
    out = []
    for xml in map(_strip_ns, _charts(path)):
        for ser in re.findall(r"<ser>.*?</ser>", xml, re.S):
            cat = re.search(r"<cat>.*?<f>(.*?)</f>", ser, re.S).group(1)
            val = re.search(r"<val>.*?<f>(.*?)</f>", ser, re.S).group(1)
            out.append((cat, val))
    return out


def test_charts_follow_the_rows_after_an_import(cycle, tmp_path):
    """An import that changes the number of fields and lead units: the charts point at the rows
    that hold the figures (and their caches hold those figures)."""
    from openpyxl import Workbook

    from ccpkh_excel import import_plan
    from ccpkh_excel.store.stats_sheet import layout

    master, _ = cycle
    before = grids(master)["Thống kê"]
    source = tmp_path / "them.xlsx"
    wb = Workbook()
    ws = wb.active
    for row in (
        ["DANH MỤC NHIỆM VỤ BỔ SUNG NĂM 2026"],
        [],
        ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn", "Sản phẩm"],
        ["I", "Lĩnh vực thử nghiệm mới"],
        ["1", "Nhiệm vụ thử nghiệm thứ nhất", "Sở Tư pháp", "Sở Nội vụ", "Quý II/2026", "Báo cáo"],
        ["II", "Một lĩnh vực nữa"],
        ["1", "Nhiệm vụ thử nghiệm thứ hai", "Sở Công Thương", "", "Năm 2026", "Báo cáo"],
    ):
        ws.append(row)
    wb.save(source)
    import_plan(source, master)
    stats = grids(master)["Thống kê"]
    fields = [r[0] for r in stats[7:] if r and r[0] not in ("", None)]
    n_fields = fields.index("Tổng cộng")
    unit_header = next(i for i, r in enumerate(stats) if r and r[0] == "Mã đơn vị")
    n_units = next(i for i, r in enumerate(stats[unit_header + 1 :]) if not r or r[0] in ("", None))
    task_header = next(i for i, r in enumerate(stats) if r and r[0] == "Mã NV")
    n_tasks = sum(1 for r in stats[task_header + 1 :] if r and r[0])
    lay = layout(n_fields, n_units, n_tasks)
    old_fields = [r[0] for r in before[7:]].index("Tổng cộng")
    assert n_fields == old_fields + 2 and "Lĩnh vực thử nghiệm mới" in fields
    refs = _series_refs(master)
    for cat, val in refs[:4]:
        assert cat == f"'Thống kê'!$A${lay.field_first}:$A${lay.field_last}", cat
        assert re.fullmatch(rf"'Thống kê'!\$[C-F]\${lay.field_first}:\$[C-F]\${lay.field_last}", val), val
    cat, val = refs[4]
    assert cat == f"'Thống kê'!$B${lay.unit_first}:$B${lay.unit_last}"
    assert val == f"'Thống kê'!$I${lay.unit_first}:$I${lay.unit_last}"
    assert [r[0] for r in stats[lay.unit_first - 1 : lay.unit_last]] == [
        r[0] for r in stats[unit_header + 1 : unit_header + 1 + n_units]
    ]
    # the cached figures of the chart are those of the rows
    xml = _strip_ns(_charts(master)[0])
    first = re.search(r"<val>.*?<numCache>(.*?)</numCache>", xml, re.S).group(1)
    cached = {int(i): float(v) for i, v in re.findall(r'<pt idx="(\d+)"><v>([^<]*)</v>', first)}
    column = [stats[r - 1][2] for r in range(lay.field_first, lay.field_last + 1)]
    assert [cached.get(i, None) for i in range(len(column))] == [float(v) for v in column]


@pytest.mark.libreoffice
def test_statistics_render_through_libreoffice(demo, tmp_path):
    renders = make_renders()
    renders.HERE = tmp_path
    png = renders.render_statistics(demo, tmp_path)
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert (ROOT / "docs" / "thong_ke.png").exists()
    assert shutil.which("pdftoppm")


# --- Phân công read by python-calamine (read_plain_sheet) ----------------------------------------
def _plain(path: Path, name: str):
    with zipfile.ZipFile(path) as z:
        part = xlsxfast.sheet_paths(z)[name]
        xml = z.read(part)
        strings_xml = z.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in z.namelist() else b""
    fast = fv.read_plain_sheet(
        name,
        xml,
        lambda: CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python(skip_empty_area=False),
        lambda: strings_xml,
    )
    slow = fv.read_sheet(name, xml.decode("utf-8"), fv.shared_strings(strings_xml.decode("utf-8")))
    return fast, slow


def _same_cells(a: fv.Sheet, b: fv.Sheet) -> None:
    assert a.max_row == b.max_row
    assert a.formulas == b.formulas
    for c in set(a.columns) | set(b.columns):
        x, y = a.column(c), b.column(c)
        n = max(len(x), len(y))
        x, y = x + [None] * (n - len(x)), y + [None] * (n - len(y))
        assert [(type(v), v) for v in x] == [(type(v), v) for v in y], c


def test_a_plain_sheet_reads_the_same_through_calamine(tmp_path):
    from openpyxl import Workbook
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    wb = Workbook()
    ws = wb.active
    ws.title = "Phân công"
    ws.append(["Mã NV", "Mã đơn vị", "Tên đơn vị", "Vai trò"])
    ws.append(["NV001", "DV01", 'Sở <Nội vụ> & "Tư pháp"', "Chủ trì"])
    ws.append(["NV002", 12, 3.5, True])
    ws.append(["NV003", "  spaced  ", "", False])
    ws["C5"] = CellRichText([TextBlock(InlineFont(b=True), "Đậm"), " thường"])
    ws["F9"] = "far"
    ws["B12"].style = "Normal"  # an empty styled cell further down: the sheet's last row
    ws["B12"].number_format = "0.00"
    path = tmp_path / "plain.xlsx"
    wb.save(path)
    fast, slow = _plain(path, "Phân công")
    assert fast is not None
    _same_cells(fast, slow)
    assert fast.column(2)[2] == 12.0 and fast.column(4)[2] is True and fast.column(3)[4] == "Đậm thường"


@pytest.mark.parametrize(
    "cell",
    [
        ("B3", "=1+2"),  # a formula: its value is the evaluator's, not the cached one
        ("B3", date(2026, 1, 5)),  # a date: read_sheet keeps the serial number
        ("B3", datetime(2026, 1, 5, 10, 30)),
    ],
)
def test_a_sheet_that_is_not_plain_is_left_to_read_sheet(tmp_path, cell):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Phân công"
    ws.append(["Mã NV", "Mã đơn vị"])
    ws.append(["NV001", "DV01"])
    ws[cell[0]] = cell[1]
    path = tmp_path / "mixed.xlsx"
    wb.save(path)
    fast, _ = _plain(path, "Phân công")
    assert fast is None


def test_an_error_cell_or_prefixed_cells_are_left_to_read_sheet():
    rows = lambda: [["a", "b"]]  # noqa: E731
    none = lambda: b""  # noqa: E731
    error = b'<worksheet><sheetData><row r="1"><c r="A1" t="e"><v>#N/A</v></c></row></sheetData></worksheet>'
    prefixed = (
        b'<x:worksheet><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )
    unplaced = b'<worksheet><sheetData><row r="1"><c t="n"><v>1</v></c></row></sheetData></worksheet>'
    reordered = b'<worksheet><sheetData><row r="1"><c s="1" r="A1"><v>1</v></c></row></sheetData></worksheet>'
    for xml in (error, prefixed, unplaced, reordered):
        assert fv.read_plain_sheet("S", xml, rows, none) is None
    phonetic = b'<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    assert fv.read_plain_sheet("S", phonetic, rows, lambda: b"<sst><si><t>a</t><rPh><t>x</t></rPh></si></sst>") is None


def test_indexes_counted_by_numpy_equal_those_counted_row_by_row(monkeypatch):
    """From `_ARRAY_ROWS` rows COUNTIFS's indexes are counted by numpy: the same counts (the
    data sheet of `_shape_book` and a wide one whose combinations outnumber its rows)."""
    import random

    pytest.importorskip("numpy")  # loaded: counted by numpy from _ARRAY_ROWS rows
    rnd = random.Random(5)
    sheets, s = _shape_book()
    wide = fv.Sheet("Wide", max_row=300)
    for c in (1, 2, 3):
        wide.columns[c] = [f"v{rnd.randrange(60)}" for _ in range(300)]
    for r in range(3, 40):
        s.formulas[(r, 11)] = (
            f'COUNTIFS(Wide!$A:$A,"v{r}",Wide!$B:$B,"v{r + 1}",Wide!$C:$C,A{r})+COUNTIF(Wide!$B:$B,"v{r}")'
        )
    sheets.append(wide)
    monkeypatch.setattr(fv, "_ARRAY_ROWS", 10**9)
    by_rows = fv.Book(sheets)
    want = fv.sheet_values(by_rows, s)
    monkeypatch.setattr(fv, "_ARRAY_ROWS", 10)
    counted, real = [], fv.Book._count_arrays
    monkeypatch.setattr(fv.Book, "_count_arrays", lambda *a: counted.append(real(*a)) or counted[-1])
    by_arrays = fv.Book(sheets)
    assert fv.sheet_values(by_arrays, s) == want
    assert None in counted and len(counted) > counted.count(None)  # Wide row by row, Data 1 by numpy
    assert by_arrays._index == by_rows._index  # every index the same
    assert any(k[0][-1] == "wide" for k in by_arrays._index)


def test_random_formulas_of_one_shape_compute_what_each_alone_does():
    """Random formulas (references with and without $, ranges, other sheets, decimals,
    exponents, text with digits, unknown functions, cut short) and variants of each with other
    digits: the book that shares their compiled shape gives each the value a fresh book gives it
    (or the same error)."""
    import random

    rnd = random.Random(3)

    def data(name: str) -> fv.Sheet:
        s = fv.Sheet(name, max_row=12)
        for r in range(1, 13):
            s.set(r, 1, rnd.choice([float(rnd.randrange(5)), "a1", None, True, fv.ExcelError("#N/A"), "3", ""]))
            s.set(r, 2, float(rnd.randrange(-3, 4)))
            s.set(r, 3, rnd.choice(["x", "y1", "Chủ trì", None]))
        return s

    atoms = ["A{n}", "$B${n}", "C{n}", "{n}", "{n}.{n}", "{n}E{n}", '"t{n}"', "'Data 2'!A{n}", "Data3!B{n}"]
    atoms += ["A{n}:B{n}", "$A$1:$A${n}", "TRUE", "B:B", "-B{n}", "B{n}%", '"<{n}"', "A0", "B0:B{n}"]
    funcs = ["SUM({0},{1})", "IF({0},{1},{2})", "AND({0},{1})", "OR({0})", "NOT({0})", "INT({0})", "ROUND({0},{1})"]
    funcs += ["COUNTIF(A1:A{n},{0})", "COUNTIFS(A1:A{n},{0},C1:C{n},{1})", "FOO({0})", "({0})"]
    funcs += ["COUNTIFS('Data 2'!$A:$A,{0},'Data 2'!$C:$C,\"x\")"]

    def number() -> str:
        return str(rnd.choice([0, 1, 2, 3, 7, 10, 12, rnd.randrange(100)]))

    def digits(text: str) -> str:
        return re.sub(r"\{n\}|\d+", lambda m: number(), text)

    def expr(depth: int = 0) -> str:
        if depth > 2 or rnd.random() < 0.3:
            return digits(rnd.choice(atoms))
        if rnd.random() < 0.5:
            func = re.sub(r"\{n\}", lambda m: number(), rnd.choice(funcs))
            return func.format(expr(depth + 1), expr(depth + 1), expr(depth + 1))
        return expr(depth + 1) + rnd.choice(["+", "-", "*", "/", "&", "=", "<>", "<", ">=", "^"]) + expr(depth + 1)

    def outcome(fn):
        try:
            v = fn()
        except Exception as e:  # noqa: BLE001 - an error of the evaluator: the same one either way
            return type(e).__name__
        return (type(v), "nan" if v != v else v)

    data2, data3 = data("Data 2"), data("Data3")
    for _ in range(150):
        first = expr()
        formulas = [first] + [digits(first) for _ in range(4)]
        if rnd.random() < 0.1:
            formulas = [f[: rnd.randrange(len(f) + 1)] for f in formulas]
        host = data("S")
        for r, f in enumerate(formulas, start=1):
            host.formulas[(r, 10)] = f
        shared = fv.Book([data2, data3, host])
        for r, f in enumerate(formulas, start=1):
            alone = fv.Book([data2, data3, host])
            assert outcome(lambda: shared.value("S", r, 10)) == outcome(lambda: alone.value("S", r, 10)), f  # noqa: B023
