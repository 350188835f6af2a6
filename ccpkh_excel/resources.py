"""Files shipped with the package: sample workbooks and Word templates."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _folder(package: str, source_dir: str) -> Path:
    try:
        path = Path(str(resources.files(package)))
        if path.is_dir():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / source_dir  # running from a checkout


def workbooks_dir() -> Path:
    return _folder("ccpkh_excel.workbooks", "workbooks")


def templates_dir() -> Path:
    return _folder("ccpkh_excel.word_templates", "word_templates")


SAMPLE_MASTER = "ke_hoach_cchc_thai_nguyen_2026.xlsx"


def sample_master() -> Path:
    return workbooks_dir() / SAMPLE_MASTER
