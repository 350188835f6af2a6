"""Each seed's DANH MỤC, rebuilt as an office .docx, imports exactly: rows, leads,
cooperators, dates — in NFC, NFD, TCVN3 and VNI alike."""

import pytest
from docx_builder import ENCODINGS, seed_000_docx, seed_003_docx, seed_004_docx
from seeds import EXPECTED_004, SEED_000, SEED_003

from ccpkh_excel import read_assignments, read_plan
from ccpkh_excel.domain.plan import resolve_task
from ccpkh_excel.domain.units import COOP, LEAD
from ccpkh_excel.domain.vntext import clean
from ccpkh_excel.features.importing import import_plan


def _resolved(plan):
    d = plan.directory()
    return [(set(r.lead.codes), set(r.coop.codes)) for r in (resolve_task(t, d) for t in plan.tasks)]


def _assert_rows(plan, seed):
    """Every imported task equals its seed row: STT, text, deadline, units, due date, note."""
    for task, (lead, coop), row in zip(plan.tasks, _resolved(plan), seed, strict=True):
        stt, content, _, _, deadline, exp_lead, exp_coop, due, note = row
        assert task.stt == stt.rstrip(".")
        assert task.content == content
        assert task.deadline == clean(deadline)
        assert (lead, coop) == (exp_lead, exp_coop), task.code
        assert task.due == due
        assert task.note == note


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_seed_000(tmp_path, units_master, encoding):
    src = seed_000_docx(tmp_path / f"ke_hoach_{encoding}.docx", encoding)
    report = import_plan(src, units_master)
    assert report.exit_code == 0, [p.message for p in report.problems]
    plan = read_plan(units_master)
    assert len(plan.tasks) == 23
    assert [t.code for t in plan.tasks] == [f"NV{i:03d}" for i in range(1, 24)]
    _assert_rows(plan, SEED_000)
    # two repeated header rows were skipped, not imported
    assert sum("tiêu đề lặp lại" in s for s in report.table.skipped) == 2


def test_seed_000_cells_are_cleaned_as_the_plan_says(tmp_path, units_master):
    import_plan(seed_000_docx(tmp_path / "kh.docx"), units_master)
    tasks = {t.stt: t for t in read_plan(units_master).tasks}
    assert tasks["3"].lead == "Văn phòng UBND tỉnh"
    assert tasks["4"].coop == "Văn phòng UBND tỉnh, các sở, ban, ngành; UBND cấp xã"
    assert tasks["7"].lead == "Sở Giáo dục và Đào tạo; UBND cấp xã"
    assert tasks["2"].coop == "Các sở, ban, ngành; UBND cấp xã"
    assert tasks["15"].coop == "Sở Khoa học và Công nghệ, Sở Tài chính"
    assert tasks["6"].deadline == "Quý II/2026 (sau khi Bộ Nội vụ công bố)"


def test_seed_000_assignments(tmp_path, units_master):
    import_plan(seed_000_docx(tmp_path / "kh.docx"), units_master)
    rows = read_assignments(units_master)
    task5 = {(a.unit, a.role) for a in rows if a.task == "NV005"}
    assert ("STP", COOP) in task5 and ("STP", LEAD) not in task5
    assert ("SNV", LEAD) in task5
    names = {a.unit: a.unit_name for a in rows}
    assert names["VPUBND"] == "Văn phòng Ủy ban nhân dân tỉnh"
    # a unit never holds both roles on one task
    pairs = {(a.task, a.unit) for a in rows}
    assert len(pairs) == len(rows)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_seed_003(tmp_path, skhcn_master, encoding):
    src = seed_003_docx(tmp_path / f"skhcn_{encoding}.docx", encoding)
    report = import_plan(src, skhcn_master)
    assert report.exit_code == 0, [p.message for p in report.problems]
    assert len(report.table.tables) == 2
    plan = read_plan(skhcn_master)
    assert len(plan.tasks) == 13
    _assert_rows(plan, SEED_003)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_seed_004(tmp_path, units_master, encoding):
    src = seed_004_docx(tmp_path / f"nq66_{encoding}.docx", encoding)
    report = import_plan(src, units_master)
    assert report.exit_code == 0, [p.message for p in report.problems]
    plan = read_plan(units_master)
    assert len(plan.tasks) == 10
    for task, (lead, coop), exp in zip(plan.tasks, _resolved(plan), EXPECTED_004, strict=True):
        stt, field, exp_lead, exp_coop, due = exp
        assert (task.stt, task.field) == (stt, field)
        assert (lead, coop) == (exp_lead, exp_coop), task.code
        assert task.due == due
    assert plan.tasks[0].product == "Tờ trình đề xuất phương án đơn giản hóa"
    assert plan.tasks[6].product.startswith("Quyết định công bố TTHC; Quyết định phê duyệt")
    assert plan.tasks[9].product == ""
    assert plan.tasks[5].note == "Chưa có hạn cụ thể (theo lộ trình được phê duyệt)"
    assert plan.tasks[6].note == "Nhiệm vụ thường xuyên, không có hạn cụ thể"


@pytest.mark.parametrize("builder", [seed_000_docx, seed_003_docx, seed_004_docx])
def test_encodings_import_identically(tmp_path, units_master, builder):
    results = []
    for enc in ENCODINGS:
        master = tmp_path / f"m_{enc}.xlsx"
        master.write_bytes(units_master.read_bytes())
        import_plan(builder(tmp_path / f"src_{enc}.docx", enc), master)
        plan = read_plan(master)
        results.append(
            [(t.stt, t.field, t.content, t.lead, t.coop, t.deadline, t.due, t.product, t.note) for t in plan.tasks]
        )
    assert all(r == results[0] for r in results[1:])
