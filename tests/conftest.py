import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ccpkh_excel import write_plan  # noqa: E402
from ccpkh_excel.domain.plan import Plan  # noqa: E402
from ccpkh_excel.domain.sample import INFO, sample_units  # noqa: E402
from ccpkh_excel.domain.units import Unit  # noqa: E402


@pytest.fixture
def units_master(tmp_path: Path) -> Path:
    """A master with the sample plan's information and units, and no task yet."""
    path = tmp_path / "master.xlsx"
    write_plan(Plan(info=dict(INFO), units=sample_units()), path)
    return path


@pytest.fixture
def skhcn_master(tmp_path: Path) -> Path:
    """Sở Khoa học và Công nghệ's master: its phòng plus the province's units."""
    from seeds import UNITS_003

    units = [
        Unit(c, n, [a for a in al.split("; ") if a], g.split("; "), f"{c.lower()}@skhcn.example")
        for c, n, al, g in UNITS_003
    ]
    path = tmp_path / "skhcn.xlsx"
    write_plan(Plan(info={**INFO, "Cơ quan ban hành": "Sở Khoa học và Công nghệ"}, units=units + sample_units()), path)
    return path


@pytest.fixture
def sample_master_copy(tmp_path: Path) -> Path:
    from ccpkh_excel import init_master

    path = tmp_path / "mau.xlsx"
    init_master(path, sample=True)
    return path


def pytest_collection_modifyitems(config, items):
    """Tests that need LibreOffice are skipped without it — except where CI says it is
    installed (CCPKH_REQUIRE_LIBREOFFICE=1): there a missing LibreOffice fails the run."""
    import os
    import shutil

    if shutil.which("soffice") or shutil.which("libreoffice"):
        return
    if os.environ.get("CCPKH_REQUIRE_LIBREOFFICE") == "1":
        return  # CI installed it: let those tests run, and fail
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="LibreOffice (soffice) is not installed"))


@pytest.fixture
def cycle(tmp_path: Path):
    """A sample master and its Quý I/2026 report workbooks."""
    from ccpkh_excel import init_master
    from ccpkh_excel.features.forms import generate

    master = tmp_path / "so.xlsx"
    init_master(master, sample=True)
    from datetime import date, timedelta

    # the forms go out with a deadline still ahead, so returns filled today are on time
    report = generate(master, "Quý I/2026", tmp_path / "phieu", due=date.today() + timedelta(days=30))
    return master, report
