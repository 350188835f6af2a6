"""Disk full, file too large, no permission — at every write site of a run, each of the three.
Whatever fails: exit 2 with a Vietnamese message, the master byte for byte as before, no
truncated file under the master's or a backup's name, the lock released, no temporary file
left, and the next run works without cleanup. (A fault that the code or a library survives —
zipfile opens a file again in another mode — may end in 0 or 1: then the master is what a run
without a fault writes.) A disk that stays full (every write fails from the fault on) too.
`generate` writes beside the master: every form under a unit's name is whole, no temporary file
is left beside them, the master is unchanged or records exactly the forms written, a form not
written is named (exit 1), and the sending list is whole or absent."""

import csv
import errno
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_sample
from faults import Faults
from returns import fill

from ccpkh_excel import read_records
from ccpkh_excel.domain.status import SENT
from ccpkh_excel.frontends.cli import cli
from ccpkh_excel.store.files import BACKUP_DIR
from ccpkh_excel.store.lock import lock_path
from ccpkh_excel.store.master import Master

ERRNOS = [errno.ENOSPC, errno.EFBIG, errno.EACCES]
REASONS = {errno.ENOSPC: "ổ đĩa đầy", errno.EFBIG: "tệp quá lớn", errno.EACCES: "không có quyền ghi"}
PERIOD = "Quý II/2026"
AGAIN_EVERY = 8  # the next run, without cleanup, after every 8th fault and the last


def _file(report, code):
    return next(f for f in report.files if f.code == code).file


def _whole_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def assert_whole(master, before: bytes | None = None) -> None:
    if before is not None:
        assert master.read_bytes() == before
    assert not lock_path(master).exists()
    leftovers = [p.name for p in master.parent.iterdir() if ".ccpkh-" in p.name and not p.name.endswith("lock")]
    assert leftovers == []
    folder = master.parent / BACKUP_DIR
    for p in folder.iterdir() if folder.exists() else []:
        assert not p.name.startswith("."), p.name
        assert _whole_zip(p), p.name  # every file under a backup's name is a whole workbook


def _digest(master: Path) -> tuple:
    """What a run leaves in the master, without the times it was written."""
    m = Master.read(master)
    tasks = tuple((t.code, t.content, t.deadline) for t in m.plan.tasks)
    records = m.records
    summary = sorted((r.task, r.unit, r.period, r.status) for r in records.summary)
    returns = sorted((r.unit, r.period, r.outcome) for r in records.returns)
    return tasks, tuple(summary), tuple(returns), len(records.log)


def _run(args, faults, monkeypatch):
    with monkeypatch.context() as mp:
        faults.install(mp)
        return CliRunner().invoke(cli, args)


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """The temporary folder of the tempfile module (openpyxl writes its sheets there first):
    a fault must not leave anything in it."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _setup(command: str, master: Path, report, tmp_path: Path) -> list[str]:
    if command == "merge":
        return ["merge", str(master), str(fill(_file(report, "SNV"), {}))]
    if command == "import":
        from docx_builder import seed_004_docx

        return ["import", str(seed_004_docx(tmp_path / "nq66.docx")), str(master)]
    from ccpkh_excel import read_plan, write_plan

    plan = read_plan(master)
    plan.tasks[-1].code = ""  # check gives it a code: a write
    write_plan(plan, master)
    return ["check", str(master)]


@pytest.mark.parametrize("code", ERRNOS, ids=[errno.errorcode[c] for c in ERRNOS])
@pytest.mark.parametrize("command", ["merge", "import", "check"])
def test_a_fault_at_every_write_leaves_the_master_whole(cycle, tmp_path, monkeypatch, private_tmp, command, code):
    _fault_at_every_site(cycle, tmp_path, monkeypatch, private_tmp, command, code, sticky=False)


# openpyxl's save does not close its zip when a write fails: the zip's __del__ tries to write its
# end record again on the still full disk (harmless here: the temporary file is already removed)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("command", ["merge", "import", "check"])
def test_a_disk_that_stays_full_leaves_the_master_whole(cycle, tmp_path, monkeypatch, private_tmp, command):
    """From the fault on, every write fails (a retried open, a cleanup that writes, fail too)."""
    _fault_at_every_site(cycle, tmp_path, monkeypatch, private_tmp, command, errno.ENOSPC, sticky=True)


def _fault_at_every_site(cycle, tmp_path, monkeypatch, private_tmp, command, code, sticky) -> None:
    master, report = cycle
    args = _setup(command, master, report, tmp_path)
    pristine = tmp_path / "pristine.xlsx"
    shutil.copy(master, pristine)
    counting = Faults()
    ok = _run(args, counting, monkeypatch)
    assert ok.exit_code in (0, 1), ok.output + ok.stderr
    expected = _digest(master)
    sites = counting.sites()
    kinds = {counting.events[s][0] for s in sites}
    assert len(sites) >= 15 and {"open", "write", "fsync", "replace"} <= kinds, counting.events
    for n, site in enumerate(sites):
        shutil.copy(pristine, master)
        shutil.rmtree(master.parent / BACKUP_DIR, ignore_errors=True)
        res = _run(args, Faults(fail_at=site, errno=code, sticky=sticky), monkeypatch)
        what = f"{command}: {errno.errorcode[code]}{' (mãi)' if sticky else ''} ở {counting.where(site)}: "
        assert "Traceback" not in res.stderr + res.output, what + res.stderr
        if res.exit_code == 2:
            assert REASONS[code] in res.stderr, what + res.stderr
            assert "ngoài dự kiến" not in res.stderr, what + res.stderr
            assert_whole(master, pristine.read_bytes())
        else:  # the fault hit a write whose failure harms nothing (syncing the folder, a retried open)
            assert res.exit_code in (0, 1), what + res.stderr
            assert_whole(master)
            assert _digest(master) == expected, what + "the master differs from a run without a fault"
        assert list(private_tmp.iterdir()) == [], what + "temporary files left"
        if n % AGAIN_EVERY == 0 or n == len(sites) - 1:
            again = CliRunner().invoke(cli, args)  # the next run works, no cleanup by hand
            assert again.exit_code in (0, 1), what + again.stderr
            # tasks and figures as a run without a fault leaves them (a second run logs again)
            assert _digest(master)[:2] == expected[:2], what + "the next run does not give the same master"


# --- generate: forms and a CSV beside the master -----------------------------------------------
def _units_listed(manifest: Path) -> list[str] | None:
    """The unit codes a manifest lists (as far as it was written); None when there is none."""
    if not manifest.exists():
        return None
    with open(manifest, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return [r[0] for r in rows[1:] if r]


def _generate_outcomes(tmp: Path, built: dict, code: int) -> tuple[int, list[str], list[str]]:
    """Generate with a fault at every write site: (sites tried, broken invariants, faults not
    said or a sending list half written — see test_generate_says_what_it_could_not_write)."""
    from _pytest.monkeypatch import MonkeyPatch

    mp = MonkeyPatch()
    private = tmp / "tmpdir"
    private.mkdir()
    mp.setattr(tempfile, "tempdir", str(private))
    try:
        master = copy_sample(built, tmp / "so.xlsx")
        out = tmp / "phieu"
        args = ["generate", str(master), "--period", PERIOD, "--out", str(out)]
        pristine = tmp / "pristine.xlsx"
        shutil.copy(master, pristine)
        counting = Faults()
        ok = _run(args, counting, mp)
        assert ok.exit_code == 0, ok.output + ok.stderr
        manifest = next(out.glob("danh_sach_gui_*.csv"))
        units = _units_listed(manifest)
        forms = sorted(p.name for p in out.glob("*.xlsx"))
        assert len(forms) >= 10 and len(units) >= len(forms)
        sites = counting.sites()
        broken: list[str] = []
        unreported: list[str] = []
        for n, site in enumerate(sites):
            shutil.copy(pristine, master)
            shutil.rmtree(master.parent / BACKUP_DIR, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
            res = _run(args, Faults(fail_at=site, errno=code), mp)
            what = f"{errno.errorcode[code]} ở {counting.where(site)}: "
            said = res.output + res.stderr
            made = sorted(p.name for p in out.glob("*.xlsx")) if out.exists() else []
            if res.exit_code not in (0, 1, 2) or "Traceback" in said:
                broken.append(what + f"mã {res.exit_code} {said}")
            try:
                assert_whole(master)
            except AssertionError as exc:
                broken.append(what + f"sổ, khóa hoặc sao lưu dở dang {exc}")
            if [p for p in made if not _whole_zip(out / p)]:
                broken.append(what + "phiếu dở dang dưới tên phiếu")
            stray = [p.name for p in out.iterdir() if p.suffix != ".xlsx" and p != manifest] if out.exists() else []
            if stray:
                broken.append(what + f"tệp tạm còn lại trong thư mục phiếu: {stray}")
            if list(private.iterdir()):
                broken.append(what + "tệp tạm còn lại")
            if master.read_bytes() != pristine.read_bytes():  # written: whole, and it records what was made
                sent = {r.file for r in read_records(master).returns if r.period == PERIOD and r.outcome == SENT}
                if sent != set(made):
                    broken.append(what + f"sổ ghi đã gửi {sorted(sent)}, thư mục có {made}")
            elif res.exit_code == 0:
                broken.append(what + "mã 0 mà sổ không ghi")
            # what the issue asks beyond that: a fault is said (exit 2, in Vietnamese, naming the
            # file or unit) and the CSV, when there is one, is whole and lists every unit
            listed = _units_listed(manifest)
            lost = made != forms
            if res.exit_code == 2 and (REASONS[code] not in res.stderr or "ngoài dự kiến" in res.stderr):
                unreported.append(what + f"thông báo không nói lý do bằng tiếng Việt: {res.stderr.strip()}")
            missing = sorted(set(forms) - set(made))
            if lost and (res.exit_code == 0 or REASONS[code] not in said):
                unreported.append(what + f"thiếu phiếu {missing} mà mã {res.exit_code}: {said}")
            if res.exit_code == 1 and [f for f in missing if f.split("_")[0] not in said]:
                unreported.append(what + f"không nêu đơn vị thiếu phiếu {missing}: {said}")
            if listed is not None and listed != units:
                unreported.append(what + f"danh sách gửi dở dang ({len(listed)}/{len(units)} đơn vị)")
            if n % AGAIN_EVERY == 0 or n == len(sites) - 1:
                again = CliRunner().invoke(cli, args)  # the next run works, no cleanup by hand
                if again.exit_code != 0 or sorted(p.name for p in out.glob("*.xlsx")) != forms:
                    broken.append(what + f"lần chạy sau: mã {again.exit_code} {again.output + again.stderr}")
                elif _units_listed(manifest) != units:
                    broken.append(what + "lần chạy sau: danh sách gửi thiếu đơn vị")
        return len(sites), broken, unreported
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def generate_faults(tmp_path_factory, built_samples) -> dict[int, tuple[int, list[str], list[str]]]:
    """Each error at each of generate's write sites, run once for the two tests below."""
    return {c: _generate_outcomes(tmp_path_factory.mktemp(f"gen{c}"), built_samples, c) for c in ERRNOS}


@pytest.mark.parametrize("code", ERRNOS, ids=[errno.errorcode[c] for c in ERRNOS])
def test_generate_fault_leaves_master_lock_and_forms_whole(generate_faults, code):
    sites, broken, _ = generate_faults[code]
    assert sites >= 25
    assert broken == []


@pytest.mark.parametrize("code", ERRNOS, ids=[errno.errorcode[c] for c in ERRNOS])
def test_generate_says_what_it_could_not_write(generate_faults, code):
    """A form not written: exit 1 naming the unit and the reason in Vietnamese; any other fault:
    exit 2 with the reason; the sending list, when there is one, lists every unit."""
    _, _, unreported = generate_faults[code]
    assert unreported == []


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
