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


@pytest.fixture(scope="session")
def built_samples(tmp_path_factory) -> dict[str, Path]:
    """The sample master, as .xlsx and as the macro-enabled .xlsm, built once per test run."""
    from ccpkh_excel import init_master

    folder = tmp_path_factory.mktemp("mau")
    out = {}
    for suffix in (".xlsx", ".xlsm"):
        out[suffix] = folder / f"mau{suffix}"
        init_master(out[suffix], sample=True)
    return out


def copy_sample(built: dict[str, Path], target: Path) -> Path:
    """A fresh copy of the sample master (no backups, no lock): as good as a new `init`."""
    import shutil

    shutil.copyfile(built[target.suffix], target)
    return target


@pytest.fixture
def sample_master_copy(tmp_path: Path, built_samples) -> Path:
    return copy_sample(built_samples, tmp_path / "mau.xlsx")


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
def cycle(tmp_path: Path, built_samples):
    """A sample master and its Quý I/2026 form workbooks."""
    from ccpkh_excel.features.forms import generate

    master = copy_sample(built_samples, tmp_path / "so.xlsx")
    from datetime import date, timedelta

    # the forms go out with a deadline still ahead, so returns filled today are on time
    report = generate(master, "Quý I/2026", tmp_path / "phieu", due=date.today() + timedelta(days=30))
    return master, report
