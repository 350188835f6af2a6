"""Two clerks at once, and a run killed at any moment — with real processes.

The invariant: every run that exited 0 has all its effect in the final master (its rows, its
Theo dõi nộp line, its Nhật ký line); a run that exited 2 changed nothing. Runs start
together as separate `python -m ccpkh_excel` processes, with and without --wait; then runs
are killed with SIGKILL at random points and a normal run must clean up and succeed.
"""

import random
import shutil
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from returns import fill

from ccpkh_excel import generate, read_plan, read_records
from ccpkh_excel.store.lock import lock_path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
BUSY = "đang được một lần chạy khác giữ"


@pytest.fixture
def office(tmp_path, built_samples):
    """A master with the Quý I/2026 forms sent, and every unit's return filled in."""
    from conftest import copy_sample

    master = copy_sample(built_samples, tmp_path / "so.xlsx")
    gen = generate(master, "Quý I/2026", tmp_path / "gui", due=date.today() + timedelta(days=30))
    returns = {}
    for f in gen.files:
        target = tmp_path / "nhan" / f.file.name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(f.file, target)
        plan = read_plan(master)
        codes = [t.code for t in plan.tasks]
        returns[f.code] = (
            fill(target, {c: ("Đang thực hiện", None, f"Báo cáo của {f.code}", "", "") for c in codes}),
            f.tasks,
        )
    return master, returns


def start(*args, wait=None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "ccpkh_excel", *(["--wait", str(wait)] if wait else []), *map(str, args)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, " ".join((out + err).split())


def merged_rows(master: Path, unit: str) -> int:
    return sum(1 for r in read_records(master).summary if r.unit == unit)


def log_count(master: Path, action: str) -> int:
    return sum(1 for r in read_records(master).log if r.action == action)


def assert_clean(master: Path) -> None:
    """No lock left, no temporary file, every backup whole."""
    assert not lock_path(master).exists()
    assert not [p for p in master.parent.iterdir() if ".ccpkh-tmp-" in p.name]
    folder = master.parent / "sao_luu"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")] if folder.exists() else True
    load_workbook(master, read_only=True).close()  # a whole workbook


def check_merge(master, unit, expected_rows, code, output):
    if code == 0:
        assert merged_rows(master, unit) == expected_rows, f"{unit}: exited 0 but its rows are missing"
    else:
        assert code == 2 and BUSY in output, output
        assert merged_rows(master, unit) == 0, f"{unit}: exited {code} but changed the master"


@pytest.mark.parametrize("wait", [None, 60])
def test_merge_beside_merge(office, wait):
    master, returns = office
    units = list(returns)
    codes = []
    for trial in range(3):
        a, b = units[2 * trial], units[2 * trial + 1]
        runs = [(u, start("merge", master, returns[u][0], wait=wait)) for u in (a, b)]
        for u, proc in runs:
            code, output = finish(proc)
            codes.append(code)
            check_merge(master, u, returns[u][1], code, output)
    if wait:
        assert codes == [0] * 6
        assert log_count(master, "Tổng hợp") == 6
    else:
        assert log_count(master, "Tổng hợp") == codes.count(0)
    assert_clean(master)


@pytest.mark.parametrize("wait", [None, 60])
def test_merge_beside_import(office, tmp_path, wait):
    from docx_builder import seed_004_docx

    master, returns = office
    unit = next(iter(returns))
    doc = seed_004_docx(tmp_path / "nq66.docx")
    merge = start("merge", master, returns[unit][0], wait=wait)
    imp = start("import", doc, master, wait=wait)
    m_code, m_out = finish(merge)
    i_code, i_out = finish(imp)
    check_merge(master, unit, returns[unit][1], m_code, m_out)
    tasks = len(read_plan(master).tasks)
    if i_code in (0, 1):  # 1: imported, with names to fix
        assert tasks == 33 and log_count(master, "Nhập") == 1
    else:
        assert i_code == 2 and BUSY in i_out, i_out
        assert tasks == 23 and log_count(master, "Nhập") == 0
    if wait:
        assert m_code == 0 and i_code in (0, 1)
    assert_clean(master)


@pytest.mark.parametrize("wait", [None, 60])
def test_merge_beside_check(office, wait):
    from ccpkh_excel import write_plan

    master, returns = office
    plan = read_plan(master)
    plan.tasks[-1].code = ""  # typed in Excel without a code: check gives it one
    write_plan(plan, master)
    unit = next(iter(returns))
    merge = start("merge", master, returns[unit][0], wait=wait)
    chk = start("check", master, wait=wait)
    m_code, m_out = finish(merge)
    c_code, c_out = finish(chk)
    actions = [r.action for r in read_records(master).log if r.action in ("Tổng hợp", "Kiểm tra")]
    if m_code == 1 and actions[:1] == ["Tổng hợp"]:
        # The merge got the master first: the row for the task still without a code is
        # refused with a warning (exit 1), every other row is in — the right answer, not a race.
        assert "không có trong danh mục nhiệm vụ" in m_out, m_out
        assert merged_rows(master, unit) == returns[unit][1] - 1
    else:
        check_merge(master, unit, returns[unit][1], m_code, m_out)
    codes = [t.code for t in read_plan(master).tasks]
    if c_code in (0, 1):
        assert all(codes) and log_count(master, "Kiểm tra") == 1, c_out
    else:
        assert c_code == 2 and BUSY in c_out, c_out
        assert not all(codes) and log_count(master, "Kiểm tra") == 0
    if wait:
        assert m_code in (0, 1) and c_code in (0, 1)
    assert_clean(master)


def _kill_when(proc: subprocess.Popen, folder: Path, seen, limit: float) -> bool:
    """SIGKILL `proc` as soon as `seen(names in folder)` holds (or after `limit` seconds)."""
    import time

    end = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < end:
        names = [p.name for p in folder.iterdir()] + [p.name for p in (folder / "sao_luu").glob(".*")]
        if seen(names):
            break
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


MOMENTS = {
    "giữ khóa": lambda names: any(n.endswith(".ccpkh-lock") for n in names),
    "đang ghi sổ tạm": lambda names: any(n.startswith(".so.xlsx.ccpkh-tmp-") for n in names),
    "đang sao lưu": lambda names: any(n.startswith(".so-") for n in names),
}


def test_killed_at_random_points_then_a_normal_run(office):
    """SIGKILL a merge at random moments and at the dangerous ones (holding the lock, writing
    the temporary master, copying the backup); the next run (no --wait) takes over the lock,
    removes the temporary files and succeeds; the killed run is all there or not at all."""
    import time

    master, returns = office
    rnd = random.Random(20261202)
    units = list(returns)
    t0 = time.monotonic()
    code, output = finish(start("merge", master, returns[units[0]][0]))
    assert code == 0, output
    duration = time.monotonic() - t0
    plan = [("ngẫu nhiên", rnd.uniform(0.1, 1.0) * duration) for _ in range(3)] + [(m, None) for m in MOMENTS]
    killed = []
    for trial, (moment, delay) in enumerate(plan):
        victim, after = units[2 * trial + 1], units[2 * trial + 2]
        proc = start("merge", master, returns[victim][0])
        if delay is not None:
            try:
                proc.wait(timeout=delay)
                was_killed = False
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                was_killed = True
        else:
            was_killed = _kill_when(proc, master.parent, MOMENTS[moment], 30)
        killed.append((moment, was_killed))
        n = merged_rows(master, victim)
        assert n in (0, returns[victim][1]), f"killed ({moment}): {n} rows of {victim}"
        code, output = finish(start("merge", master, returns[after][0]))
        assert code == 0, f"after a kill ({moment}): {output}"
        assert merged_rows(master, after) == returns[after][1]
        assert_clean(master)
    assert sum(k for _, k in killed) >= 3, killed  # the dangerous moments really were hit
