"""The four classes add up — on the demo and on a generated province of 120 units — and the
Thống kê sheet shows the library's figures (the values its formulas are written with)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner

from ccpkh_excel import read_status
from ccpkh_excel.domain.plan import Plan, Task, apply_deadline, build_assignments, number_tasks
from ccpkh_excel.domain.sample import INFO
from ccpkh_excel.domain.status import CLASSES, IN_PROGRESS, OVERDUE, SENT, compute_status, next_period
from ccpkh_excel.domain.units import LEAD, Unit
from ccpkh_excel.frontends.cli import cli

AS_OF = date(2026, 4, 10)
PERIOD = "Quý I/2026"
FIELDS = [
    "Cải cách thể chế",
    "Cải cách thủ tục hành chính",
    "Cải cách tổ chức bộ máy hành chính nhà nước",
    "Cải cách chế độ công vụ",
    "Cải cách tài chính công",
    "Xây dựng và phát triển chính quyền điện tử, chính quyền số",
]
DEADLINES = ["Trước 31/01/2026", "Quý I/2026", "Quý II/2026", "Tháng 3/2026", "Năm 2026", "Thường xuyên"]


def province(n_depts: int = 20, n_communes: int = 100, n_tasks: int = 60, seed: int = 12):
    """A province: departments leading tasks alone or together, the communes leading some as a
    group; returns for Quý I/2026 with every kind of answer, some units silent."""
    rnd = random.Random(seed)
    units = [Unit(f"S{i:02d}", f"Sở thử nghiệm {i}", [], [], f"s{i}@tinh.example") for i in range(1, n_depts + 1)]
    units += [
        Unit(f"X{i:03d}", f"UBND xã thử nghiệm {i}", [], ["UBND các xã"], f"x{i}@tinh.example")
        for i in range(1, n_communes + 1)
    ]
    tasks = []
    for k in range(n_tasks):
        if k % 10 == 9:
            lead = "UBND các xã"
        elif k % 7 == 3:
            lead = f"Sở thử nghiệm {k % n_depts + 1}; Sở thử nghiệm {(k + 5) % n_depts + 1}"
        else:
            lead = f"Sở thử nghiệm {k % n_depts + 1}"
        tasks.append(
            Task(
                stt=str(k + 1),
                field=FIELDS[k * len(FIELDS) // n_tasks],
                content=f"Nhiệm vụ thử nghiệm số {k + 1} về cải cách hành chính",
                lead=lead,
                coop=f"Sở thử nghiệm {(k + 3) % n_depts + 1}",
                deadline=DEADLINES[k % len(DEADLINES)],
            )
        )
    plan = Plan(info=dict(INFO), units=units)
    plan.tasks = number_tasks([apply_deadline(t, 2026)[0] for t in tasks])
    from ccpkh_excel.store.schema import RETURNS, SUMMARY

    names = {u.code: u.name for u in units}
    dues = {t.code: t.due for t in plan.tasks}
    summary, reported = [], set()
    silent = {u.code for u in units if rnd.random() < 0.15}
    for a in build_assignments(plan):
        if a.unit in silent or rnd.random() < 0.1:
            continue
        due = dues[a.task] or date(2026, 12, 31)
        status = rnd.choice(["Hoàn thành", "Hoàn thành", "Đang thực hiện", "Tạm dừng", "Chưa thực hiện", ""])
        done = (
            due + timedelta(days=rnd.choice([-20, -1, 0, 3, 30]))
            if status == "Hoàn thành" and rnd.random() < 0.8
            else ""
        )
        saved = datetime(2026, 3, 28, 9) + timedelta(days=rnd.choice([0, 5, 12]))
        summary.append(
            SUMMARY.make(
                task=a.task,
                unit=a.unit,
                unit_name=names[a.unit],
                role=a.role,
                period=PERIOD,
                status=status,
                done=done,
                result=f"Kết quả {a.task}" if status else "",
                saved=saved,
                source="phieu.xlsx",
            )
        )
        reported.add(a.unit)
    returns = [
        RETURNS.make(unit=u.code, unit_name=u.name, period=PERIOD, outcome=SENT)
        for u in units
        if u.code not in reported
    ]
    return plan, summary, returns


def _adds_up(st, plan) -> None:
    leads = [a for a in build_assignments(plan) if a.role == LEAD]
    for c in [*st.fields, st.total, *(c for _, c in st.units)]:
        assert sum(c.classes) == c.tasks and 0 <= c.rest <= c.tasks, c
    assert sum(c.tasks for c in st.fields) == st.total.tasks == len(plan.tasks)
    assert [sum(x) for x in zip(*(c.classes for c in st.fields), strict=True)] == list(st.total.classes)
    assert sum(c.tasks for _, c in st.units) == len(leads)
    assert {t.status for t in st.tasks} <= set(CLASSES)
    ranks = st.ranking()
    assert [r.rank for r in ranks] == sorted(r.rank for r in ranks) and ranks[0].rank == 1
    assert [r.counts.pct_on_time for r in ranks] == sorted((r.counts.pct_on_time for r in ranks), reverse=True)


def test_a_province_of_120_units_adds_up():
    plan, summary, returns = province()
    st = compute_status(plan, summary, PERIOD, AS_OF, returns)
    assert len(plan.units) == 120 and len(st.units) == len({a.unit for a in build_assignments(plan) if a.role == LEAD})
    assert len(st.units) > 110
    _adds_up(st, plan)
    assert st.total.overdue and st.total.in_progress and st.total.on_time and st.total.late
    # a task nobody has reported counts by its due date alone
    for t in st.tasks:
        if not t.reported and t.leads and t.status not in (OVERDUE, IN_PROGRESS):
            pytest.fail(t)


def test_the_province_in_a_master_thong_ke_equals_the_library(tmp_path):
    """The master written with the records: Thống kê's formulas carry the same figures."""
    from python_calamine import CalamineWorkbook

    from ccpkh_excel import Master, write_plan
    from ccpkh_excel.store.records import Records
    from ccpkh_excel.store.stats_sheet import layout

    plan, summary, returns = province()
    master = tmp_path / "tinh.xlsx"
    write_plan(plan, master)
    with Master.open(master) as m:
        m.save(records=Records(summary=summary, returns=returns), stats=(PERIOD, AS_OF))
    st = read_status(master, PERIOD, AS_OF)
    _adds_up(st, plan)
    rows = CalamineWorkbook.from_path(str(master)).get_sheet_by_name("Thống kê").to_python()
    lay = layout(len(st.fields), len(st.units), len(st.tasks))
    for i, c in enumerate(st.fields):
        assert rows[lay.field_first - 1 + i][:8] == [c.label, c.tasks, *c.classes, c.rest, c.pct]
    assert rows[lay.total_row - 1][1:8] == [st.total.tasks, *st.total.classes, st.total.rest, st.total.pct]
    for i, (code, c) in enumerate(st.units):
        assert rows[lay.unit_first - 1 + i][:9] == [code, c.label, c.tasks, *c.classes, c.rest, c.pct], code


def test_the_demo_adds_up_and_status_prints_the_four_classes_and_the_ranking(tmp_path):
    assert CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)]).exit_code == 0
    master = tmp_path / "ke_hoach_cchc_2026.xlsx"
    st = read_status(master, PERIOD, AS_OF)
    from ccpkh_excel import read_plan

    _adds_up(st, read_plan(master))
    out = CliRunner().invoke(cli, ["status", str(master), "--period", PERIOD, "--as-of", "10/04/2026"]).output
    for head in ("Xong đúng hạn", "Xong quá hạn", "Đang làm trong hạn", "Quá hạn chưa xong", "xếp hạng đơn vị"):
        assert head in out, out
    assert "Chưa làm" not in out


def test_next_period():
    assert next_period("Quý I/2026").label == "Quý II/2026"
    assert next_period("Quý IV/2026").label == "Quý I/2027"
    assert next_period("6 tháng đầu năm 2026").start == date(2026, 7, 1)
    assert next_period("Năm 2026").label == "Năm 2027"


def test_check_warns_about_a_number_below_ten():
    from ccpkh_excel.domain.plan import NUMBER, check_plan
    from ccpkh_excel.domain.sample import sample_plan

    plan = sample_plan()
    for so, warned in (("5/KH-SNV", True), ("05/KH-SNV", False), ("188/KH-UBND", False), ("", False)):
        plan.info["Số ký hiệu"] = so
        found = [p for p in check_plan(plan) if p.kind == NUMBER]
        assert bool(found) == warned, so
        if warned:
            assert "'05/KH-SNV'" in found[0].message
