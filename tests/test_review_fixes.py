"""Defects an independent review found, each with the test that would have caught it."""

import os
import re
import shutil
import time
import zipfile
from datetime import date

import pytest
from click.testing import CliRunner
from returns import fill

from ccpkh_excel import Master, MasterBusyError, MasterError, merge_returns, read_records, write_plan
from ccpkh_excel.domain.status import REJECTED
from ccpkh_excel.frontends.cli import cli
from ccpkh_excel.store.files import BACKUP_DIR, remove_temps
from ccpkh_excel.store.lock import RunLock, lock_path

DONE = ("Hoàn thành", date(2026, 3, 20), "Xong", "", "")


def _file(report, code):
    return next(f for f in report.files if f.code == code).file


def _rewrite(path, change):
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_a_decoy_workbook_cannot_hide_the_real_sheet_from_the_limits(cycle):
    """_rels/.rels pointing at another workbook than the one python-calamine reads."""
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": DONE})

    def decoy(parts):
        parts["xl/decoy.xml"] = parts["xl/workbook.xml"]
        parts["xl/_rels/decoy.xml.rels"] = parts["xl/_rels/workbook.xml.rels"]
        parts["_rels/.rels"] = parts["_rels/.rels"].replace(b"xl/workbook.xml", b"xl/decoy.xml")

    _rewrite(f, decoy)
    rep = merge_returns(master, [f])
    assert rep.files[0].outcome == REJECTED and "workbook" in rep.files[0].reason


def test_oversized_property_parts_are_refused_before_they_are_parsed(cycle):
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": DONE})

    def big_props(parts):
        xml = parts["docProps/custom.xml"].decode()
        parts["docProps/custom.xml"] = xml.replace(
            "</Properties>", "<!--" + " " * (2 * 1024 * 1024) + "--></Properties>"
        ).encode()

    _rewrite(f, big_props)
    start = time.monotonic()
    rep = merge_returns(master, [f])
    assert rep.files[0].outcome == REJECTED and "docProps/custom.xml" in rep.files[0].reason
    assert time.monotonic() - start < 10


def test_lint_docx_checks_the_file_within_the_limits(tmp_path, monkeypatch):
    from docx import Document

    doc = tmp_path / "vb.docx"
    d = Document()
    d.add_paragraph("x" * 2000)
    d.save(doc)
    monkeypatch.setenv("CCPKH_MAX_FILE_MB", "0.001")  # 1 KB: the document is larger
    res = CliRunner().invoke(cli, ["lint-docx", str(doc)])
    assert res.exit_code == 2 and "quá giới hạn" in res.stderr, res.stderr


def test_a_lock_that_cannot_be_read_is_never_taken_for_a_dead_one(cycle, monkeypatch):
    master, _ = cycle
    path = lock_path(master)
    path.write_text(f"may\n{os.getpid()}\nai\n01/04/2026 08:00:00\n", encoding="utf-8")
    old = time.time() - 60
    os.utime(path, (old, old))
    real = type(path).read_bytes

    def flaky(self):
        if self.name == path.name:
            raise PermissionError(13, "sharing violation")
        return real(self)

    monkeypatch.setattr(type(path), "read_bytes", flaky)
    with pytest.raises(MasterBusyError):
        RunLock(master).acquire()
    assert path.exists()


def test_a_dry_run_on_a_held_master_changes_nothing_a_later_save_would_write(cycle):
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": DONE})
    with Master.open(master) as m:
        merge_returns(m, [f], dry_run=True)
        m.save(plan=m.plan)
    assert not [r for r in read_records(master).summary if r.unit == "SNV"]


def test_merge_never_replaces_a_lost_signing_key(cycle):
    master, report = cycle
    f = fill(_file(report, "SNV"), {"NV001": DONE})

    def lose_key(parts):
        names = [n for n in parts if n.startswith("xl/worksheets/")]
        for n in names:
            parts[n] = re.sub(rb"[0-9a-f]{64}", b"", parts[n])

    _rewrite(master, lose_key)
    before = master.read_bytes()
    with pytest.raises(MasterError, match="không có khóa ký phiếu"):
        merge_returns(master, [f])
    assert master.read_bytes() == before


def test_opening_a_master_leaves_other_masters_backups_alone(tmp_path, built_samples):
    from conftest import copy_sample

    a = copy_sample(built_samples, tmp_path / "a.xlsx")
    folder = tmp_path / BACKUP_DIR
    folder.mkdir()
    theirs = folder / ".b-20260401-080000.xlsx.ccpkh-tmp-123"
    ours = folder / ".a-20260401-080000.xlsx.ccpkh-tmp-456"
    theirs.write_bytes(b"PK")
    ours.write_bytes(b"PK")
    remove_temps(a)
    assert theirs.exists() and not ours.exists()


def test_only_the_units_that_lead_a_task_now_decide_it(cycle):
    """A unit reported "Hoàn thành", then the task went to another unit: not done any more."""
    from ccpkh_excel import check_master, read_status

    master, report = cycle
    merge_returns(master, [fill(_file(report, "SNV"), {"NV001": DONE})])
    nv001 = next(t for t in read_status(master, "Quý I/2026", date(2026, 4, 1)).tasks if t.code == "NV001")
    assert nv001.leads == 1 and nv001.done == 1
    plan = Master.read(master).plan
    task = next(t for t in plan.tasks if t.code == "NV001")
    task.lead, task.coop = "Sở Tư pháp", ""
    write_plan(plan, master)
    check_master(master)
    st = read_status(master, "Quý I/2026", date(2026, 4, 1))
    nv001 = next(t for t in st.tasks if t.code == "NV001")
    assert nv001.done == 0 and nv001.status not in ("Hoàn thành đúng hạn", "Hoàn thành quá hạn")
    assert all(c.rest >= 0 for _, c in st.units)


def test_macros_refuses_a_read_only_master(tmp_path, built_samples):
    from conftest import copy_sample

    path = copy_sample(built_samples, tmp_path / "so.xlsm")
    _rewrite(path, lambda parts: parts.pop("xl/vbaProject.bin"))
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        res = CliRunner().invoke(cli, ["macros", str(path)])
        assert res.exit_code == 2 and "chỉ cho đọc" in res.stderr, res.stderr
        assert path.read_bytes() == before
    finally:
        path.chmod(0o644)
    shutil.rmtree(tmp_path / BACKUP_DIR, ignore_errors=True)


def test_status_of_a_missing_master_says_the_file_is_missing(tmp_path):
    res = CliRunner().invoke(cli, ["status", str(tmp_path / "khong_co.xlsx")])
    assert res.exit_code == 2 and "không tìm thấy tệp" in res.stderr, res.stderr
