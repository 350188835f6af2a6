"""The dashboard ("Bảng điều khiển") fits the first screen: every button and every setting
(label and value) lies inside what Excel shows at 100 % zoom on a 1366×768 display, computed
from the workbook as written (column widths, row heights, the buttons' anchors)."""

import re
import zipfile

import pytest
from openpyxl import load_workbook

from ccpkh_excel.features.excel.dashboard import BUTTONS, DASHBOARD, GROUPS, PICKERS, SETTINGS
from ccpkh_excel.resources import workbooks_dir

SHIPPED = workbooks_dir() / "ke_hoach_cchc_thai_nguyen_2026.xlsm"

# The first screen of Excel (Microsoft 365, Windows, 100 % display scaling) on a 1366×768 display,
# the window maximised, the ribbon shown, at 100 % zoom:
#   width:  1366 − row headers (≤ 4 digits: 33) − vertical scroll bar (17) − borders (~16)
#           ≈ 1300 px of cells;
#   height: 768 − task bar 40 − title bar 30 − ribbon with its tabs 120 − formula bar 25
#           − column headers 20 − sheet tabs and status bar 45 = 488 px, less the yellow
#           "SECURITY WARNING — Enable Content" bar of a macro workbook (~35 px) = 453 px,
#           less a margin for taller ribbons (the search box, touch mode) ≈ 400 px of rows.
SCREEN_WIDTH = 1300
SCREEN_HEIGHT = 400
DEFAULT_COLUMN_WIDTH = 9.140625  # as stored: Excel's default 8.43 characters (64 px) for Calibri 11
DEFAULT_ROW_HEIGHT = 15.0  # points: Excel's default for Calibri 11


def column_pixels(width: float, digit: int = 7) -> int:
    """Excel's pixel width of a column `width` characters wide (as stored in <col width>), for a
    workbook whose Normal font has a maximum digit width of `digit` pixels (7 for Calibri 11):
    trunc(((256·w + trunc(128/7)) / 256) · 7)."""
    return int(((256 * width + int(128 / digit)) / 256) * digit)


def row_pixels(points: float) -> int:
    """A row height in points as pixels at 96 dpi (Excel keeps heights on whole pixels)."""
    return round(points * 96 / 72)


class Grid:
    """Pixel edges of the sheet's columns and rows, from the widths and heights as written."""

    def __init__(self, ws):
        self.ws = ws
        fmt = ws.sheet_format
        self.default_width = float(fmt.defaultColWidth or DEFAULT_COLUMN_WIDTH)
        self.default_height = float(fmt.defaultRowHeight or DEFAULT_ROW_HEIGHT)
        self.widths: dict[int, float] = {}
        for dim in ws.column_dimensions.values():
            if dim.width and dim.customWidth:
                for c in range(dim.min, dim.max + 1):
                    self.widths[c] = float(dim.width)

    def col_width(self, col: int) -> int:  # 1-based
        return column_pixels(self.widths.get(col, self.default_width))

    def row_height(self, row: int) -> int:  # 1-based
        dim = self.ws.row_dimensions.get(row)
        return row_pixels(float(dim.height) if dim is not None and dim.height else self.default_height)

    def x(self, col0: int) -> int:
        """Left edge of the 0-based column `col0`."""
        return sum(self.col_width(c) for c in range(1, col0 + 1))

    def y(self, row0: int) -> int:
        """Top edge of the 0-based row `row0`."""
        return sum(self.row_height(r) for r in range(1, row0 + 1))


def buttons(path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Each form button of the dashboard: its macro → (caption, anchor). The VML anchor is
    (left column, x offset px, top row, y offset px, right column, x offset, bottom row, y offset),
    columns and rows 0-based, as xlsxwriter writes it and Excel reads it."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        book = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet [^>]*name="{DASHBOARD}"[^>]*r:id="(\w+)"', book).group(1)
        target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels)
        target = target or re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
        sheet = "xl/" + target.group(1).lstrip("/").removeprefix("xl/")
        sheet_rels = z.read(sheet.replace("worksheets/", "worksheets/_rels/") + ".rels").decode()
        vml_name = re.search(r'Target="([^"]*vmlDrawing\d+\.vml)"', sheet_rels).group(1)
        vml_path = "xl/" + vml_name.replace("../", "").lstrip("/").removeprefix("xl/")
        assert vml_path in names, (vml_path, names)
        vml = z.read(vml_path).decode()
    found = {}
    for shape in re.findall(r"<v:shape .*?</v:shape>", vml, re.S):
        if 'ObjectType="Button"' not in shape:
            continue
        macro = re.search(r"<x:FmlaMacro>\[0\]!BangDieuKhien\.(\w+)</x:FmlaMacro>", shape).group(1)
        caption = "".join(re.findall(r">([^<>]+)</font>", shape))
        anchor = tuple(int(v) for v in re.search(r"<x:Anchor>([^<]+)</x:Anchor>", shape).group(1).split(","))
        found[macro] = (caption, anchor)
    return found


def layout(path):
    wb = load_workbook(path, keep_vba=True)
    ws = wb[DASHBOARD]
    grid = Grid(ws)
    rects = {}
    for macro, (caption, (c1, dx1, r1, dy1, c2, dx2, r2, dy2)) in buttons(path).items():
        rects[macro] = (caption, (grid.x(c1) + dx1, grid.y(r1) + dy1, grid.x(c2) + dx2, grid.y(r2) + dy2))
    cells = {}
    for key, (row, label, _, _) in SETTINGS.items():
        assert ws[f"A{row}"].value == label
        cells[key] = (grid.x(0), grid.y(row - 1), grid.x(2), grid.y(row))  # A (label) and B (value)
    return wb, ws, rects, cells


@pytest.fixture(params=["built", "shipped"])
def dashboard_path(request, built_samples):
    return built_samples[".xlsm"] if request.param == "built" else SHIPPED


def test_the_pixel_formulas_are_excels():
    """Calibri 11 (max digit width 7 px): the default 8.43 characters, stored 9.140625, are 64 px; 24 are stored as 24.7109375
    (xlsxwriter, as Excel: trunc((24·7+5)/7·256)/256) and shown 173 px; 15 pt rows are 20 px."""
    assert column_pixels(9.140625) == 64
    assert column_pixels(int((24 * 7 + 5) / 7 * 256) / 256) == 173 == 24 * 7 + 5
    assert row_pixels(15) == 20 and row_pixels(25.5) == 34


def test_every_button_and_setting_fits_the_first_screen(dashboard_path):
    wb, ws, rects, cells = layout(dashboard_path)
    normal = next(s for s in wb._named_styles if s.name == "Normal").font
    assert (normal.name, float(normal.sz)) == ("Calibri", 11.0)  # the font the pixel widths assume
    assert ws.sheet_view.zoomScale in (None, 100) and (ws.sheet_view.topLeftCell or "A1") == "A1"
    assert ws.freeze_panes is None  # the first screen starts at A1
    wanted = {m for m, _, _ in BUTTONS} | set(PICKERS.values())
    assert set(rects) == wanted
    captions = {m: c for m, c, _ in BUTTONS}
    for macro, (caption, (left, top, right, bottom)) in rects.items():
        assert caption == captions.get(macro, "Chọn thư mục…"), macro
        assert 0 <= left < right <= SCREEN_WIDTH, (macro, left, right)
        assert 0 <= top < bottom <= SCREEN_HEIGHT, (macro, top, bottom)
        assert len(caption) * 7 + 8 <= right - left, (macro, caption, right - left)  # Calibri 11: ~7 px a letter
    for key, (left, top, right, bottom) in cells.items():
        assert 0 <= left < right <= SCREEN_WIDTH and 0 <= top < bottom <= SCREEN_HEIGHT, (key, right, bottom)
    # nothing covers another: buttons apart from each other and from the settings' labels and values
    boxes = [(m, r) for m, (_, r) in rects.items()] + [(f"setting {k}", r) for k, r in cells.items()]
    for i, (a, ra) in enumerate(boxes):
        for b, rb in boxes[i + 1 :]:
            overlap = ra[0] < rb[2] and rb[0] < ra[2] and ra[1] < rb[3] and rb[1] < ra[3]
            assert not overlap, (a, ra, b, rb)


def test_buttons_stand_in_their_groups_in_the_workflows_order(dashboard_path):
    """One column per group (Danh mục, Phiếu, Thư điện tử, Văn bản) under its title, top to bottom."""
    _, ws, rects, _ = layout(dashboard_path)
    assert sorted(m for _, ms in GROUPS for m in ms) == sorted(m for m, _, _ in BUTTONS)
    lefts = []
    for title, macros in GROUPS:
        xs = {rects[m][1][0] for m in macros}
        assert len(xs) == 1, title
        tops = [rects[m][1][1] for m in macros]
        assert tops == sorted(tops), title
        lefts.append(xs.pop())
    assert lefts == sorted(lefts)
    heads = [c.value for c in ws[2] if c.value]
    assert heads[1:] == [t for t, _ in GROUPS]


# --- what LibreOffice shows -------------------------------------------------------------------------
def first_screen_pdf(master, work):
    """The dashboard's first screen (A1:H9) alone at 100 %, buttons printed, as PDF through LibreOffice.
    (LibreOffice imports the form buttons not printable: the .ods made here prints them.)"""
    import sys
    from pathlib import Path

    from ccpkh_excel.features.documents.rendering import convert

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
    from make_renders import only_sheet

    wb = load_workbook(master, keep_vba=True)
    ws = wb[DASHBOARD]
    ws.print_area = "A1:H9"
    ws.sheet_properties.pageSetUpPr.fitToPage = False  # at 100 %, on one page: as on the screen
    ws.page_setup.scale, ws.page_setup.paperSize, ws.page_setup.orientation = 100, 66, "landscape"  # A2
    wb.save(work / "dashboard.xlsm")
    ods = convert(only_sheet(work / "dashboard.xlsm", DASHBOARD, work / "only.xlsm"), "ods", work / "ods")
    printed = work / "printed.ods"
    with zipfile.ZipFile(ods) as zin, zipfile.ZipFile(printed, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "content.xml":
                data = data.replace(b'form:printable="false"', b'form:printable="true"')
            zout.writestr(info, data, compress_type=zipfile.ZIP_STORED if info.filename == "mimetype" else None)
    return convert(printed, "pdf", work / "lo")


@pytest.mark.libreoffice
def test_libreoffice_shows_every_button_and_setting_on_the_first_screen(tmp_path, built_samples):
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = first_screen_pdf(built_samples[".xlsm"], tmp_path)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for _, caption, _ in BUTTONS:
        assert caption in flat, caption
    for _, label, _, _ in SETTINGS.values():
        assert label in flat, label
    assert flat.count("mục…") == len(PICKERS)  # "Chọn thư mục…", wrapped where LibreOffice's font is wider
