"""The store: the run lock (busy, --wait, a dead run's lock taken over), temporary files of a
killed run, backups, read-only masters and file modes, the one rule for times. Locks are held
by real other processes here, never by the test's own."""

import os
import socket
import subprocess
import sys
import textwrap
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from returns import fill

from ccpkh_excel import Master, MasterBusyError, MasterError, merge_returns, read_plan, read_records
from ccpkh_excel.domain import times
from ccpkh_excel.frontends.cli import cli
from ccpkh_excel.store.files import BACKUP_DIR, backups_of
from ccpkh_excel.store.lock import RunLock, lock_path


def _file(report, code):
    return next(f for f in report.files if f.code == code).file


def hold_in_other_process(master: Path, seconds: float) -> subprocess.Popen:
    """Another process takes the master's run lock, says so, and keeps it `seconds`."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from ccpkh_excel.store.lock import RunLock
        lock = RunLock({str(master)!r}).acquire()
        print("held", flush=True)
        time.sleep({seconds})
        lock.release()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_busy_master_is_refused_at_once_with_who_holds_it(cycle):
    master, report = cycle
    before = master.read_bytes()
    holder = hold_in_other_process(master, 30)
    try:
        res = CliRunner().invoke(cli, ["merge", str(master), str(fill(_file(report, "SNV"), {}))])
        assert res.exit_code == 2
        msg = " ".join(res.stderr.split())
        assert "đang được một lần chạy khác giữ" in msg
        assert f"máy {socket.gethostname()}" in msg and "người dùng" in msg and "từ lúc" in msg
        assert "--wait" in msg
        assert master.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()


def test_wait_gets_the_master_once_the_other_run_ends(cycle):
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": ("Hoàn thành", date(2026, 3, 20), "Xong", "", "")})
    holder = hold_in_other_process(master, 1.5)
    start = time.monotonic()
    res = CliRunner().invoke(cli, ["--wait", "30", "merge", str(master), str(f)])
    holder.wait()
    assert res.exit_code == 0, res.output + res.stderr
    assert time.monotonic() - start >= 1.0  # it did wait
    assert any(r.task == "NV001" and r.unit == "SNV" for r in read_records(master).summary)


def test_wait_gives_up_after_its_time(cycle):
    master, report = cycle
    holder = hold_in_other_process(master, 30)
    try:
        start = time.monotonic()
        with pytest.raises(MasterBusyError):
            merge_returns(master, [_file(report, "SNV")], wait=0.5)
        assert 0.5 <= time.monotonic() - start < 5
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("content", ["dead", "empty", "garbage"])
def test_a_dead_runs_lock_is_taken_over_and_logged(cycle, content):
    master, report = cycle
    lock = lock_path(master)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process that existed and is gone
    lock.write_bytes(
        {
            "dead": f"{socket.gethostname()}\n{pid}\nai đó\n01/04/2026 08:00:00\n".encode(),
            "empty": b"",
            "garbage": b"\xff\xfe\x00not a lock",
        }[content]
    )
    old = time.time() - 60
    os.utime(lock, (old, old))
    res = CliRunner().invoke(cli, ["merge", str(master), str(_file(report, "SNV"))])
    assert res.exit_code == 0, res.output + res.stderr
    assert not lock.exists()
    log = read_records(master).log
    assert any(r.action == "Mở khóa" and "dừng đột ngột" in r.outcome for r in log)
    assert log[-1].action == "Tổng hợp"


def test_a_live_lock_from_another_computer_is_never_taken(cycle):
    master, report = cycle
    lock_path(master).write_text("may-khac\n1\nthu.ky\n01/04/2026 08:00:00\n", encoding="utf-8")
    with pytest.raises(MasterBusyError, match="máy may-khac, người dùng thu.ky, từ lúc 01/04/2026 08:00:00"):
        merge_returns(master, [_file(report, "SNV")])


def test_temporary_files_of_a_killed_run_are_removed(cycle):
    master, report = cycle
    junk = master.parent / f".{master.name}.ccpkh-tmp-99999-deadbeef.xlsx"
    junk.write_bytes(b"PK half")
    other = master.parent / ".other.xlsx.ccpkh-tmp-1-aa.xlsx"  # another master's: not ours to remove
    other.write_bytes(b"PK")
    merge_returns(master, [_file(report, "SNV")])
    assert not junk.exists() and other.exists()


def test_every_write_makes_a_backup_and_the_newest_are_kept(cycle, monkeypatch, tmp_path):
    master, report = cycle
    monkeypatch.setenv("CCPKH_BACKUP_KEEP", "3")
    for _ in range(5):
        merge_returns(master, [_file(report, "SNV")])
    kept = backups_of(master)
    assert len(kept) == 3
    with zipfile.ZipFile(kept[-1]) as z:
        assert z.testzip() is None
    assert not [p for p in (master.parent / BACKUP_DIR).iterdir() if p.name.startswith(".")]


def test_import_and_check_back_up_and_log(sample_master_copy, tmp_path):
    from docx_builder import seed_004_docx

    from ccpkh_excel import check_master, import_plan

    master = sample_master_copy
    import_plan(seed_004_docx(tmp_path / "nq66.docx"), master)
    assert len(backups_of(master)) == 1
    plan = read_plan(master)
    plan.tasks[0].code = ""  # a row a clerk typed without a code
    from ccpkh_excel import write_plan

    write_plan(plan, master)
    check_master(master)
    actions = [r.action for r in read_records(master).log]
    assert actions[-2:] == ["Nhập", "Kiểm tra"]  # write_plan itself logs nothing
    assert len(backups_of(master)) == 3


def test_a_read_only_master_is_refused_not_replaced(cycle):
    master, report = cycle
    before = master.read_bytes()
    master.chmod(0o444)
    try:
        res = CliRunner().invoke(cli, ["merge", str(master), str(_file(report, "SNV"))])
        assert res.exit_code == 2 and "chỉ cho đọc" in res.stderr
        assert master.read_bytes() == before
    finally:
        master.chmod(0o644)


def test_the_master_keeps_its_mode(cycle):
    master, report = cycle
    master.chmod(0o640)
    merge_returns(master, [_file(report, "SNV")])
    assert master.stat().st_mode & 0o777 == 0o640


def test_a_reader_cannot_save(sample_master_copy):
    m = Master.read(sample_master_copy)
    with pytest.raises(MasterError, match="chưa giữ sổ"):
        m.save(records=m.records)


def test_the_lock_is_released_when_a_run_fails(cycle):
    master, report = cycle
    with pytest.raises(MasterError):
        with Master.open(master):
            raise MasterError("hỏng giữa chừng", master)
    assert not lock_path(master).exists()
    with RunLock(master):
        pass


# --- times -----------------------------------------------------------------------------------
@pytest.fixture
def vietnam(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_office_save_times_are_utc_and_read_as_local(vietnam):
    assert times.from_w3cdtf("2026-04-05T20:00:00Z") == datetime(2026, 4, 6, 3, 0)
    assert times.to_w3cdtf(datetime(2026, 4, 6, 3, 0)) == "2026-04-05T20:00:00Z"
    assert times.from_w3cdtf(times.to_w3cdtf(datetime(2026, 1, 2, 7, 30))) == datetime(2026, 1, 2, 7, 30)


def test_a_return_saved_after_midnight_local_is_late(vietnam, cycle):
    """Saved 06/04 03:00 in Hà Nội (05/04 20:00 UTC); the return date was 05/04: late.
    Read as UTC (the old rule) it would have passed as saved on 05/04."""
    from ccpkh_excel.features.forms import generate

    master, report = cycle
    gen = generate(master, "Quý I/2026", master.parent / "gui", due=date(2026, 4, 5))
    f = fill(_file(gen, "SNV"), {}, saved=datetime(2026, 4, 6, 3, 0))
    with zipfile.ZipFile(f) as z:
        assert b"2026-04-05T20:00:00Z" in z.read("docProps/core.xml")
    rep = merge_returns(master, [f])
    assert rep.files[0].saved == datetime(2026, 4, 6, 3, 0)
    assert any("nộp muộn: lưu ngày 06/04/2026" in w for w in rep.files[0].warnings)


def test_an_older_master_gets_the_sheets_it_lacks_at_its_next_write(tmp_path):
    """The shipped sample predates "Thư điện tử" and "Cài đặt thư": a records-only write adds them."""
    import shutil

    from ccpkh_excel.resources import sample_master
    from ccpkh_excel.store.records import MailRow

    master = tmp_path / "cu.xlsx"
    shutil.copy(sample_master(), master)
    with Master.open(master) as m:
        assert m.settings["Thư mục nhận (IMAP)"] == "INBOX"  # defaults while the sheet is missing
        records = m.records
        records.mail.append(
            MailRow(datetime(2026, 4, 1, 8, 0), "SNV", "Quý I/2026", "Gửi phiếu", "a@b", "<1@x>", "", "")
        )
        m.save(records=records)
    m = Master.read(master)
    assert [r.message_id for r in m.records.mail] == ["<1@x>"]
    assert m.settings["Cổng SMTP"] == "587"
    assert len(m.plan.tasks) == 23


def test_side_sheets_are_written_whole_and_read_as_typed_rows(tmp_path, built_samples):
    """Sheets the plan and the records do not own (Kiểm tra nhập, Đánh giá) go through the
    same store: backup, atomic replace; the plan and the records are kept."""
    from datetime import date as _date

    from conftest import copy_sample

    from ccpkh_excel.store.master import Master
    from ccpkh_excel.store.schema import Column, SheetSpec

    spec = SheetSpec("Ghi chép thử", "GhiChepThu", (Column("Mục", 20, key="label"), Column("Ngày", 12, "date", "day")))
    master = copy_sample(built_samples, tmp_path / "so.xlsx")
    before = read_plan(master)
    with Master.open(master) as m:
        assert not m.has_sheet(spec) and m.sheet(spec) == []
        backup = m.save(sheets={spec: [["Phần một", _date(2026, 3, 31)], ["Phần hai", None]]})
    assert backup is not None and backup.exists()
    m = Master.read(master)
    assert m.has_sheet(spec)
    assert m.sheet(spec) == [spec.row("Phần một", _date(2026, 3, 31)), spec.row("Phần hai", None)]
    assert [t.code for t in m.plan.tasks] == [t.code for t in before.tasks]
    with Master.open(master) as m:  # rewritten whole, in place
        m.save(plan=m.plan, sheets={spec: [["Chỉ một", None]]})
    from openpyxl import load_workbook

    wb = load_workbook(master, read_only=True)
    assert wb.sheetnames.count("Ghi chép thử") == 1
    assert Master.read(master).sheet(spec) == [spec.row("Chỉ một", None)]


# --- a large master: openpyxl reads it without the rows it does not change ------------------------
def _everything(path):
    """What a save must keep: every sheet's cell values as python-calamine reads them (the
    log's last line aside: it records the save itself)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    out = {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}
    out["Nhật ký"] = out["Nhật ký"][:-1]
    return out


@pytest.mark.parametrize("what", ["side sheet", "plan", "check"])
def test_a_large_master_saved_without_its_rows_in_openpyxl_keeps_everything(cycle, tmp_path, monkeypatch, what):
    """Above LIGHT_FROM, openpyxl reads the master with Phân công and the record sheets cut to
    two rows and the store writes their rows again: every sheet ends as it ends when openpyxl
    reads the whole file — records, assignments, figures, styles' rows, the side sheet."""
    from ccpkh_excel.features.checking import check_master
    from ccpkh_excel.features.documents.assessment import ASSESSMENT
    from ccpkh_excel.store import master as store

    master, report = cycle
    merge_returns(master, [fill(f.file, {}) for f in report.files], now=datetime(2026, 4, 2, 8, 0))
    if what == "check":  # an older master: check adds its Đánh giá sheet
        from openpyxl import load_workbook

        wb = load_workbook(master)
        del wb["Đánh giá"]
        wb.save(master)
    ends = {}
    real = store._without_rows
    for light in (False, True):
        copy = tmp_path / f"so_{light}.xlsx"
        copy.write_bytes(master.read_bytes())
        monkeypatch.setattr(store, "LIGHT_FROM", 0 if light else 1 << 60)
        seen = []
        monkeypatch.setattr(store, "_without_rows", lambda p, seen=seen: seen.append(p) or real(p))
        if what == "check":
            check_master(copy)
        else:
            with Master.open(copy) as m:
                if what == "plan":
                    import dataclasses

                    plan = m.plan
                    plan.tasks[0] = dataclasses.replace(plan.tasks[0], content=plan.tasks[0].content + " (sửa)")
                    m.save(plan=plan)
                else:
                    m.save(sheets={ASSESSMENT: [["Quý I/2026", "chi_dao", "Đã chỉ đạo sát sao."]]})
        assert bool(seen) == light
        ends[light] = _everything(copy)
    for name in ends[False]:  # sheet by sheet, the first cells that differ
        a, b = ends[True][name], ends[False][name]
        pairs = enumerate(zip(a, b, strict=False))
        diff = [(i, j, x, y) for i, (ra, rb) in pairs for j, (x, y) in enumerate(zip(ra, rb, strict=False)) if x != y]
        assert (len(a), diff[:5]) == (len(b), []), name
    assert ends[True] == ends[False]
    evaluations = [r[13] for r in ends[True]["Tổng hợp"][1:]]
    assert all(evaluations), "every Đánh giá keeps its value after a save through openpyxl"
    assert len(ends[True]["Tổng hợp"]) > 20 and len(ends[True]["Phân công"]) > 20
