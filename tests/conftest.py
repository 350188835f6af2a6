import itertools
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mailservers import MailServers, require_servers  # noqa: E402

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


# --- e-mail: real servers on loopback (tests/mailservers.py) and an office using them -------------
# (here, not in test_mail.py, so that every mail test file shares the one session's servers)
MAIL_ENV = (
    "CCPKH_SMTP",
    "CCPKH_IMAP",
    "CCPKH_MAIL_USER",
    "CCPKH_MAIL_FROM",
    "CCPKH_MAIL_SECURITY",
    "CCPKH_MAIL_PASSWORD",
    "CCPKH_MAIL_TIMEOUT",
)
_tags = itertools.count(1)


@pytest.fixture(scope="session")
def servers():
    """Dovecot and aiosmtpd for the whole test run, stopped by their pid at its end."""
    require_servers()
    s = MailServers.start({account(f"t{i}")[0]: account(f"t{i}")[1] for i in range(1, 41)})
    yield s
    s.stop()


def account(tag: str) -> tuple[str, str]:
    """The office account of one test: a Vietnamese password, as offices have."""
    return f"vanphong@{tag}.example", f"Mk-{tag}-bí mật!"


@dataclass
class Office:
    master: Path
    address: str
    password: str
    units: dict[str, str]  # code → address
    servers: MailServers

    def inbox(self, code: str) -> list[EmailMessage]:
        return self.servers.messages(self.units[code])


def set_emails(master: Path, emails: dict[str, str]) -> None:
    from ccpkh_excel.store.master import Master

    with Master.open(master) as m:
        plan = m.plan
        for u in plan.units:
            u.email = emails.get(u.code, "")
        m.save(plan=plan)


@pytest.fixture
def office(tmp_path, built_samples, servers, monkeypatch) -> Office:
    """A sample master whose units have mailboxes of their own, and an office account."""
    from ccpkh_excel.store.master import read_plan

    tag = f"t{next(_tags)}"
    master = copy_sample(built_samples, tmp_path / "so.xlsx")
    units = {u.code: f"{u.code.lower()}@{tag}.example" for u in read_plan(master).units}
    set_emails(master, units)
    address, password = account(tag)
    if address not in servers.users:
        servers.add_user(address, password)
    for name in MAIL_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CCPKH_SMTP", f"127.0.0.1:{servers.smtp_port}")
    monkeypatch.setenv("CCPKH_IMAP", f"127.0.0.1:{servers.imap_port}")
    monkeypatch.setenv("CCPKH_MAIL_USER", address)
    monkeypatch.setenv("CCPKH_MAIL_FROM", address)
    monkeypatch.setenv("CCPKH_MAIL_SECURITY", "none")
    monkeypatch.setenv("CCPKH_MAIL_PASSWORD", password)
    monkeypatch.setenv("CCPKH_MAIL_TIMEOUT", "10")
    return Office(master, address, password, units, servers)
