"""Files shipped with the package: sample workbooks and Word templates.

Installed, they sit inside the package (ccpkh_excel/workbooks, ccpkh_excel/word_templates,
mapped from the top-level folders by setup.cfg); in a source checkout, beside it.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent
SAMPLE_MASTER = "ke_hoach_cchc_thai_nguyen_2026.xlsx"


def _folder(name: str) -> Path:
    installed = _HERE / name
    return installed if installed.is_dir() else _HERE.parent / name


def workbooks_dir() -> Path:
    return _folder("workbooks")


def templates_dir() -> Path:
    return _folder("word_templates")


def sample_master() -> Path:
    return workbooks_dir() / SAMPLE_MASTER


def sample_plan_text() -> dict:
    """Sections I–III of the sample plan (parsed from seed 000), shipped as JSON."""
    import json

    return json.loads((_HERE / "data" / "ke_hoach_thai_nguyen_2026.json").read_text(encoding="utf-8"))
