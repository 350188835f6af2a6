"""Disk full, file too large, no permission — at every write of a run. Whatever fails: exit 2
with a Vietnamese message, the master byte for byte as before, no truncated file under the
master's or a backup's name, the lock released, and the next run works without cleanup."""

import errno
import resource
import shutil
import signal
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner
from faults import Faults
from returns import fill

from ccpkh_excel import read_records
from ccpkh_excel.frontends.cli import cli
from ccpkh_excel.store.files import BACKUP_DIR
from ccpkh_excel.store.lock import lock_path

ERRNOS = [errno.ENOSPC, errno.EFBIG, errno.EACCES]
REASONS = {errno.ENOSPC: "ổ đĩa đầy", errno.EFBIG: "tệp quá lớn", errno.EACCES: "không có quyền ghi"}


def _file(report, code):
    return next(f for f in report.files if f.code == code).file


def assert_whole(master, before: bytes | None = None) -> None:
    if before is not None:
        assert master.read_bytes() == before
    assert not lock_path(master).exists()
    leftovers = [p.name for p in master.parent.iterdir() if ".ccpkh-" in p.name and not p.name.endswith("lock")]
    assert leftovers == []
    folder = master.parent / BACKUP_DIR
    for p in folder.iterdir() if folder.exists() else []:
        assert not p.name.startswith("."), p.name
        with zipfile.ZipFile(p) as z:  # every file under a backup's name is a whole workbook
            assert z.testzip() is None


def _run(args, faults, monkeypatch):
    with monkeypatch.context() as mp:
        faults.install(mp)
        return CliRunner().invoke(cli, args)


@pytest.mark.parametrize("command", ["merge", "import", "check"])
def test_a_fault_at_every_write_leaves_the_master_whole(cycle, tmp_path, monkeypatch, command):
    master, report = cycle
    if command == "merge":
        args = ["merge", str(master), str(fill(_file(report, "SNV"), {}))]
    elif command == "import":
        from docx_builder import seed_004_docx

        args = ["import", str(seed_004_docx(tmp_path / "nq66.docx")), str(master)]
    else:
        from ccpkh_excel import read_plan, write_plan

        plan = read_plan(master)
        plan.tasks[-1].code = ""
        write_plan(plan, master)
        args = ["check", str(master)]
    pristine = tmp_path / "pristine.xlsx"
    shutil.copy(master, pristine)
    counting = Faults()
    ok = _run(args, counting, monkeypatch)
    assert ok.exit_code in (0, 1), ok.output + ok.stderr
    sites = counting.sites()
    assert len(sites) >= 8, counting.events
    for n, site in enumerate(sites):
        shutil.copy(pristine, master)
        shutil.rmtree(master.parent / BACKUP_DIR, ignore_errors=True)
        code = ERRNOS[n % 3]
        res = _run(args, Faults(fail_at=site, errno=code), monkeypatch)
        what = f"{command}: fault {errno.errorcode[code]} at {counting.events[site]}"
        if res.exit_code == 2:
            assert REASONS[code] in res.stderr, what + res.stderr
            assert "Traceback" not in res.stderr + res.output, what
            assert_whole(master, pristine.read_bytes())
        else:  # the fault hit a write whose failure harms nothing (syncing the folder): all done
            assert res.exit_code in (0, 1), what + res.stderr
            assert_whole(master)
        if n % 4 == 0 or n == len(sites) - 1:
            again = CliRunner().invoke(cli, args)  # the next run works, no cleanup by hand
            assert again.exit_code in (0, 1), what + again.stderr


def test_a_real_file_size_limit_gives_efbig_and_changes_nothing(cycle):
    """The kernel's own EFBIG (RLIMIT_FSIZE), in a real process."""
    master, report = cycle
    f = fill(_file(report, "SNV"), {})
    before = master.read_bytes()
    limit = len(before) // 2

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    res = subprocess.run(
        [sys.executable, "-m", "ccpkh_excel", "merge", str(master), str(f)],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert "tệp quá lớn" in res.stderr and "sổ giữ nguyên" in res.stderr
    assert_whole(master, before)
    assert not [r for r in read_records(master).summary if r.unit == "SNV"]
