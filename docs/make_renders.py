"""Render the pages shown in README (needs LibreOffice and poppler-utils):

    python docs/make_renders.py

Runs the demo in a temporary folder, converts its KẾ HOẠCH and BÁO CÁO to PDF and saves
page 1 of the KẾ HOẠCH, the first phụ lục page and page 1 of the BÁO CÁO as PNG here.
"""

import subprocess
import tempfile
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


def png(pdf: Path, page: int, name: str) -> None:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-singlefile", "-f", str(page), "-l", str(page), str(pdf), str(HERE / name)],
        check=True,
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        assert CliRunner().invoke(cli, ["demo", "--out", str(out)]).exit_code == 0
        docs = out / "van_ban"
        plan = to_pdf(docs / "ke_hoach_cchc_2026.docx")
        report = to_pdf(docs / "bao_cao_quy_I_2026.docx")
        png(plan, 1, "ke_hoach_trang_1")
        png(plan, page_count_portrait(plan) + 1, "ke_hoach_phu_luc")
        png(report, 1, "bao_cao_trang_1")
    for p in sorted(HERE.glob("*.png")):
        print(p)


if __name__ == "__main__":
    main()
