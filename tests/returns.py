"""Fill form workbooks the way a person does: only cells the sheet leaves unlocked."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from ccpkh_excel.frontends.demo import set_saved

FIRST = 8


def fill(path: Path, answers: dict[str, tuple], saved: datetime | None = None, extra: list[tuple] = ()) -> Path:
    """answers: Mã NV → (Trạng thái, Ngày hoàn thành, Kết quả, Khó khăn, Đề xuất)."""
    wb = load_workbook(path)
    ws = wb["Báo cáo"]
    r = FIRST
    while ws.cell(row=r, column=1).value:
        code = ws.cell(row=r, column=1).value
        if code in answers:
            for i, v in enumerate(answers[code]):
                cell = ws.cell(row=r, column=6 + i)
                assert cell.protection.locked is False, f"{cell.coordinate} is locked"
                cell.value = v
                if isinstance(v, str) and v[:1] in "=+-@":
                    cell.data_type = "s"  # typed as text, as Excel does for '=…
        r += 1
    r += 2  # blank row, then the title of the extra section
    for values in extra:
        r += 1
        for col, v in values:
            cell = ws.cell(row=r, column=col)
            assert cell.protection.locked is False, f"{cell.coordinate} is locked"
            cell.value = v
    wb.save(path)
    if saved:
        set_saved(path, saved)
    return path


def tamper(path: Path, edit) -> Path:
    """Change locked cells (as someone who removed the protection would)."""
    wb = load_workbook(path)
    edit(wb["Báo cáo"])
    wb.save(path)
    return path


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_resave(path: Path, out_dir: Path) -> Path:
    """The workbook saved again by LibreOffice, as a person's LibreOffice would."""
    from ccpkh_excel.features.documents.rendering import convert

    return convert(path, "xlsx", out_dir)


def today() -> date:
    return date.today()
