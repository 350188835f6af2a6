"""The status rule, the figures, and Thống kê recalculated by LibreOffice."""

from datetime import date, datetime

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from returns import fill
from test_formula_values import recalculated_by_libreoffice

from ccpkh_excel import read_status
from ccpkh_excel.domain.status import (
    IN_PROGRESS,
    LATE,
    ON_TIME,
    OVERDUE,
    row_status,
)
from ccpkh_excel.features.merging import merge_returns
from ccpkh_excel.frontends.cli import cli
from ccpkh_excel.store.stats_sheet import layout

D = date(2026, 3, 31)


@pytest.mark.parametrize(
    "status, done, saved, due, as_of, expected",
    [
        ("Hoàn thành", date(2026, 3, 30), None, D, date(2026, 5, 1), ON_TIME),
        ("Hoàn thành", date(2026, 4, 2), None, D, date(2026, 5, 1), LATE),
        ("Hoàn thành", "", datetime(2026, 3, 31, 17), D, date(2026, 5, 1), ON_TIME),  # no date: day it was saved
        ("Hoàn thành", "", datetime(2026, 4, 1, 8), D, date(2026, 5, 1), LATE),
        ("Hoàn thành", date(2027, 1, 1), None, None, date(2026, 5, 1), ON_TIME),  # no due date: never late
        ("Đang thực hiện", "", None, D, date(2026, 4, 1), OVERDUE),
        ("Đang thực hiện", "", None, D, D, IN_PROGRESS),
        ("Tạm dừng", "", None, None, date(2026, 4, 1), IN_PROGRESS),
        ("", "", None, D, D, IN_PROGRESS),  # not started, not yet due: in progress within the deadline
        ("Chưa thực hiện", "", None, D, date(2026, 4, 1), OVERDUE),
    ],
)
def test_row_rule(status, done, saved, due, as_of, expected):
    assert row_status(status, done, saved, due, as_of) == expected


def _scenario(cycle):
    """Quý I/2026 returns chosen to hit every status."""
    master, report = cycle
    f = {x.code: x.file for x in report.files}
    fill(
        f["SNV"],
        {
            "NV001": ("Hoàn thành", date(2026, 3, 20), "KH số 12", "", ""),  # on time
            "NV002": ("Hoàn thành", date(2026, 4, 5), "muộn", "", ""),  # late
            "NV004": ("Đang thực hiện", None, "", "", ""),  # due 30/9: in progress
            "NV006": ("Tạm dừng", None, "", "Chờ Bộ Nội vụ", ""),
            "NV008": ("Chưa thực hiện", None, "", "", ""),
        },
    )
    fill(f["VPUBND"], {"NV003": ("Đang thực hiện", None, "", "", "")})  # due 31/01: overdue
    fill(
        f["SGDDT"],
        {"NV007": ("Hoàn thành", date(2026, 3, 1), "", "", ""), "NV009": ("Hoàn thành", date(2026, 3, 2), "", "", "")},
    )
    # NV007 has six lead units (Sở GD&ĐT and the communes): one done is not the task done
    fill(
        f["SKHCN"],
        {"NV016": ("Hoàn thành", date(2026, 3, 10), "", "", ""), "NV019": ("Đang thực hiện", None, "", "", "")},
    )
    merge_returns(master, [f[c] for c in ("SNV", "VPUBND", "SGDDT", "SKHCN")], now=datetime(2026, 4, 10, 9))
    return master


def test_figures(cycle):
    master = _scenario(cycle)
    st = read_status(master, "Quý I/2026", date(2026, 4, 10))
    tasks = {t.code: t.status for t in st.tasks}
    assert tasks["NV001"] == ON_TIME
    assert tasks["NV002"] == LATE
    assert tasks["NV003"] == OVERDUE
    assert tasks["NV004"] == IN_PROGRESS
    assert tasks["NV006"] == IN_PROGRESS
    assert tasks["NV007"] == IN_PROGRESS  # one of six lead units done
    assert tasks["NV009"] == ON_TIME
    assert tasks["NV010"] == IN_PROGRESS  # not reported, not yet due
    assert tasks["NV008"] == IN_PROGRESS  # "Chưa thực hiện", not yet due
    assert (st.total.tasks, st.total.on_time, st.total.late) == (23, 3, 1)
    assert st.total.pct == round(100 * 4 / 23, 1)
    units = dict(st.units)
    assert units["SNV"].tasks == 9 and units["SNV"].on_time == 1 and units["SNV"].late == 1
    assert units["SYT"].rest == 2  # NV005 (through the group) and NV010, not reported
    assert ("SYT", "Sở Y tế") in st.missing
    assert [t.code for t in st.overdue] == ["NV003"]


def test_status_command(cycle):
    master = _scenario(cycle)
    result = CliRunner().invoke(cli, ["status", str(master), "--period", "Quý I/2026", "--as-of", "10/04/2026"])
    assert result.exit_code == 0, result.output
    assert "Kỳ Quý I/2026, tính đến ngày 10/04/2026" in result.output
    assert "Đơn vị chưa nộp phiếu (12):" in result.output
    assert "NV003 (hạn 31/01/2026)" in result.output
    default = CliRunner().invoke(cli, ["status", str(master)])
    assert default.exit_code == 0 and "Kỳ Quý I/2026" in default.output


@pytest.mark.libreoffice
def test_statistics_sheet_recalculated_by_libreoffice_equals_the_library(cycle, tmp_path):
    master = _scenario(cycle)
    st = read_status(master, "Quý I/2026", date(2026, 4, 10))
    # the cached values are removed first: LibreOffice shows a cached value without recalculating
    _compare(recalculated_by_libreoffice(master, tmp_path / "lo"), st)
    # a clerk fixes a cell in Tổng hợp by hand: the live formulas follow
    wb = load_workbook(master)
    ws = wb["Tổng hợp"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "NV003" and r[1].value == "VPUBND")
    row[5].value, row[6].value = "Hoàn thành", datetime(2026, 1, 20)
    wb.save(master)
    st = read_status(master, "Quý I/2026", date(2026, 4, 10))
    assert {t.code: t.status for t in st.tasks}["NV003"] == ON_TIME
    _compare(recalculated_by_libreoffice(master, tmp_path / "lo2"), st)


def _compare(path, st):
    wb = load_workbook(path, data_only=True)
    ws = wb["Thống kê"]
    assert ws["B2"].value == "Quý I/2026"
    assert ws["B3"].value.date() == date(2026, 4, 10)
    lay = layout(len(st.fields), len(st.units), len(st.tasks))
    for i, c in enumerate(st.fields):
        got = [x.value for x in ws[lay.field_first + i]][:8]
        assert got == [c.label, c.tasks, c.on_time, c.late, c.in_progress, c.overdue, c.rest, c.pct], got
    t = st.total
    assert [x.value for x in ws[lay.total_row]][1:8] == [
        t.tasks,
        t.on_time,
        t.late,
        t.in_progress,
        t.overdue,
        t.rest,
        t.pct,
    ]
    for i, (code, c) in enumerate(st.units):
        got = [x.value for x in ws[lay.unit_first + i]][:9]
        assert got == [code, c.label, c.tasks, c.on_time, c.late, c.in_progress, c.overdue, c.rest, c.pct], got
    for i, task in enumerate(st.tasks):
        assert ws.cell(row=lay.task_first + i, column=8).value == task.status
    src = load_workbook(path)
    assert len(src["Thống kê"]._charts) == 2
