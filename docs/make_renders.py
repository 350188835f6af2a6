"""Render the pages shown in README (needs LibreOffice and poppler-utils):

    python docs/make_renders.py

Runs the demo in a temporary folder, converts its documents to PDF and saves as PNG here:
page 1 of the KẾ HOẠCH, its signature page and its first phụ lục page; page 1 of the BÁO
CÁO, its chart page, its signature page and its Phụ lục II (figures by unit, ranking); the
công văn đôn đốc to one unit; and the master's Thống kê sheet (its figures and its two
charts) as thong_ke.png.
"""

import re
import subprocess
import tempfile
import zipfile
from pathlib import Path

from click.testing import CliRunner

from ccpkh_excel.features.documents.rendering import to_pdf
from ccpkh_excel.frontends.cli import cli

HERE = Path(__file__).resolve().parent


def page_count_portrait(pdf: Path) -> int:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    import re

    sizes = re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+)", info)
    return sum(1 for w, h in sizes if float(w) < float(h))


def png(pdf: Path, page: int, name: str, dpi: int = 80) -> None:
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(HERE / name),
        ],
        check=True,
    )


def page_with(pdf: Path, text: str) -> int:
    """The first page of `pdf` whose text holds `text` (1-based)."""
    n = int(
        re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout)[1]
    )
    for page in range(1, n + 1):
        out = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True, text=True
        ).stdout
        if text in re.sub(r"\s+", " ", out):
            return page
    raise ValueError(f"{text!r} not in {pdf}")


def only_sheet(xlsx: Path, sheet: str, out: Path) -> Path:
    """A copy of the workbook in which every sheet but `sheet` is hidden (so a PDF of it holds
    that sheet alone), the cached values of its formulas kept as the tool wrote them."""

    def hide(m: re.Match) -> str:
        tag = m.group(0)
        if f'name="{sheet}"' in tag or "veryHidden" in tag:
            return tag
        return re.sub(r'\s*state="\w+"', "", tag).replace("<sheet ", '<sheet state="hidden" ', 1)

    with zipfile.ZipFile(xlsx) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        names = re.findall(r'<sheet [^>]*name="([^"]+)"', zin.read("xl/workbook.xml").decode("utf-8"))
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                xml = re.sub(r"<sheet [^>]*/>", hide, data.decode("utf-8"))
                xml = re.sub(r'activeTab="\d+"', f'activeTab="{names.index(sheet)}"', xml)
                data = xml.encode("utf-8")
            elif info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'tabSelected="1"', b'tabSelected="0"', data)
            zout.writestr(info, data)
    return out


def render_statistics(master: Path, work: Path, name: str = "thong_ke") -> Path:
    """The Thống kê sheet of `master` through LibreOffice (xlsx → pdf → png) into docs/."""
    pdf = to_pdf(only_sheet(master, "Thống kê", work / "thong_ke.xlsx"))
    png(pdf, 1, name, dpi=130)
    return HERE / f"{name}.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        assert CliRunner().invoke(cli, ["demo", "--out", str(out)]).exit_code == 0
        docs = out / "van_ban"
        plan = to_pdf(docs / "ke_hoach_cchc_2026.docx")
        report = to_pdf(docs / "bao_cao_quy_I_2026.docx")
        master = out / "ke_hoach_cchc_2026.xlsx"
        letter = out / "cong_van_SVHTTDL.docx"
        assert (
            CliRunner()
            .invoke(
                cli,
                ["report", str(master), "--kind", "don-doc", "--unit", "SVHTTDL", "--period", "Quý I/2026"]
                + ["--as-of", "10/04/2026", "--out", str(letter)],
            )
            .exit_code
            == 0
        )
        letter_pdf = to_pdf(letter)
        png(plan, 1, "ke_hoach_trang_1")
        png(plan, page_with(plan, "Nơi nhận:"), "ke_hoach_trang_ky")
        png(plan, page_count_portrait(plan) + 1, "ke_hoach_phu_luc")
        png(report, 1, "bao_cao_trang_1")
        png(report, page_with(report, "Biểu đồ 1."), "bao_cao_bieu_do")
        png(report, page_with(report, "Nơi nhận:"), "bao_cao_trang_ky")
        png(report, page_with(report, "2. Theo đơn vị chủ trì, xếp hạng"), "bao_cao_phu_luc_II")
        png(letter_pdf, 1, "cong_van_don_doc")
        render_statistics(master, out)
    for p in sorted(HERE.glob("*.png")):
        print(p)


if __name__ == "__main__":
    main()
