"""The fast paths of `report --kind bao-cao` at a province's size (issue 12): the master read
chunk by chunk with each distinct value converted once, must give the very rows, values and
types of the plain reading — and a master read that way and saved keeps every row."""

from datetime import date, datetime

import pytest
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from ccpkh_excel import Master
from ccpkh_excel.domain.values import convert_each, record_value
from ccpkh_excel.domain.vntext import fold
from ccpkh_excel.store import master as master_mod
from ccpkh_excel.store.records import ExtraRow, LogRow, MailRow, ReturnRow, SummaryRow
from ccpkh_excel.store.schema import EXTRA, LOG, MAIL, RECORD_SHEETS, RETURNS, SUMMARY


def plain_rows(path, spec):
    """The rows as the plain reading makes them: the whole sheet, a dict a row, each value
    converted on its own."""
    wb = CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(spec.name).to_python(skip_empty_area=False)
    index = {fold(h): i for i, h in enumerate(rows[0]) if h not in (None, "")}
    out = []
    for row in rows[1:]:
        values = [row[index[fold(c.header)]] for c in spec.stored_columns]
        if all(v in (None, "") for v in values):
            continue
        out.append(spec.row(*(record_value(v, c.kind) for v, c in zip(values, spec.stored_columns, strict=True))))
    return out


def typed(rows):
    return [(type(r).__name__, tuple(r), tuple(type(v).__name__ for v in r)) for r in rows]


def awkward_summary(path, offset: int = 0):
    """A Tổng hợp edited by hand: columns reordered, an extra one, blank rows between and
    after, a row with only a late column, 1, 1.0 and TRUE in one text column (equal in
    Python, not the same text), dates and times, spaces and decomposed Vietnamese."""
    wb = Workbook()
    ws = wb.active
    ws.title = SUMMARY.name
    headers = [c.header for c in SUMMARY.columns]
    headers = [headers[1], "Ghi chú riêng", headers[0], *headers[2:]]
    ws.append([None] * offset + headers)
    values = [
        ["NV001", "SNV", "Sở Nội vụ", "Chủ trì", "Quý I/2026", "Hoàn thành", date(2026, 3, 1), "Xong"],
        [1.0, "STP", " Sở  Tư pháp ", "Chủ trì", "Quý I/2026", "Đang thực hiện", None, "Tie\u0302\u0301n độ"],
        [True, 1, "x", "Phối hợp", "Quý I/2026", "Hoàn thành", 46000, 2.5],
        [None] * 8,
        [1, True, "y", "Chủ trì", "Quý II/2026", "", None, None],
        [None, None, None, None, None, None, None, None, "chỉ có khó khăn"],
        ["NV001", "SNV", "Sở Nội vụ", "Chủ trì", "Quý I/2026", "Hoàn thành", datetime(2026, 3, 2, 10, 0), "Xong"],
        [0.0, False, "z", "Chủ trì", "Quý I/2026", "Hoàn thành", "01/03/2026", "Xong"],
    ]
    for i, v in enumerate(values):
        v = (v + [None] * 12)[:12]
        saved = datetime(2026, 3, 30, 9, 0, 0, 600_000) if i % 2 else datetime(2026, 3, 30, 9)
        row = [v[1], "ghi chú" if i == 2 else None, v[0], *v[2:10], saved if any(x is not None for x in v) else None]
        row += ["phieu.xlsx" if any(x is not None for x in v) else None, None, "Hoàn thành đúng hạn"]
        ws.append([None] * offset + row)
    ws.append([None] * (offset + 14))
    wb.save(path)


@pytest.mark.parametrize("offset", [0, 1])
@pytest.mark.parametrize("chunk", [2, 3, 20_000])
def test_the_chunked_reading_equals_the_plain_one(tmp_path, monkeypatch, offset, chunk):
    """Every value, its type and the rows kept are those of the plain reading, however the
    rows fall in chunks (a value converted in one chunk is reused in the next; 1, 1.0 and
    TRUE never share a conversion) and wherever the sheet's first cell is."""
    path = tmp_path / "so.xlsx"
    awkward_summary(path, offset)
    monkeypatch.setattr(master_mod, "CHUNK", chunk)
    wb = CalamineWorkbook.from_path(str(path))
    kinds = [lambda v, k=c.kind: record_value(v, k) for c in SUMMARY.stored_columns]
    fast = master_mod.sheet_rows(wb, SUMMARY, path, kinds)
    plain = plain_rows(path, SUMMARY)
    assert typed(fast) == typed(plain)
    assert len(fast) == 7  # the blank rows left out, the row with only a difficulty kept
    assert [r.task for r in fast[:3]] == ["NV001", "1", "True"]
    assert fast[1].unit_name == "Sở Tư pháp" and fast[1].result == "Tiến độ"
    columns = master_mod.sheet_columns(wb, SUMMARY, path)
    assert [list(c) for c in zip(*plain_raw(path), strict=True)] == columns


def plain_raw(path):
    wb = CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(SUMMARY.name).to_python(skip_empty_area=False)
    index = {fold(h): i for i, h in enumerate(rows[0]) if h not in (None, "")}
    out = []
    for row in rows[1:]:
        values = tuple(row[index[fold(c.header)]] for c in SUMMARY.stored_columns)
        if any(v not in (None, "") for v in values):
            out.append(values)
    return out


def test_convert_each_converts_each_distinct_value_once_and_numbers_one_by_one():
    calls = []

    def typed_name(v):
        calls.append(v)
        return f"{type(v).__name__}:{v}"

    texts = ("NV001", None, "NV001", date(2026, 1, 1), datetime(2026, 1, 1), "NV001")
    assert convert_each(texts, typed_name) == [typed_name(v) for v in texts]
    assert len(calls) == 4 + len(texts)  # a date and a datetime are two values, the code one
    table: dict = {}
    convert_each(("a", "b"), typed_name, table)
    calls.clear()
    assert convert_each(("b", "c"), typed_name, table) == ["str:b", "str:c"] and calls == ["c"]  # kept across pieces
    numbers = (1, 1.0, True, 1)
    assert convert_each(numbers, typed_name) == ["int:1", "float:1.0", "bool:True", "int:1"]
    assert convert_each((["unhashable"], "a"), typed_name) == ["list:['unhashable']", "str:a"]
    from decimal import Decimal

    from ccpkh_excel.store.xlsxfast import Formula

    mixed = (Decimal(1), 1, True)  # equal values of three types: never one conversion
    assert convert_each(mixed, typed_name) == ["Decimal:1", "int:1", "bool:True"]
    assert convert_each(("a", Formula("a")), typed_name) == ["str:a", "Formula:a"]


def test_repeated_values_are_one_object(tmp_path):
    """A code, a period, a status repeated over the rows is held once (a province's memory)."""
    path = tmp_path / "so.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = SUMMARY.name
    ws.append([c.header for c in SUMMARY.columns])
    for i in range(50):
        ws.append([f"NV{i % 3:03d}", "SNV", "Sở Nội vụ", "Chủ trì", "Quý I/2026", "Hoàn thành"])
    wb.save(path)
    rows = master_mod.sheet_rows(
        CalamineWorkbook.from_path(str(path)),
        SUMMARY,
        path,
        [lambda v, k=c.kind: record_value(v, k) for c in SUMMARY.stored_columns],
    )
    assert len(rows) == 50
    assert len({id(r.period) for r in rows}) == 1 and len({id(r.task) for r in rows}) == 3


def test_a_master_read_fast_and_saved_keeps_every_record_sheet_whole(sample_master_copy, monkeypatch):
    """The master is the office's record: rows of every record sheet, read in chunks and
    saved, come back the same — none dropped, none emptied."""
    monkeypatch.setattr(master_mod, "CHUNK", 2)
    when = datetime(2026, 4, 1, 8, 0)
    with Master.open(sample_master_copy) as m:
        records = m.records
        records.summary.extend(
            SummaryRow(
                "NV001",
                u,
                f"Đơn vị {u}",
                "Chủ trì",
                "Quý I/2026",
                "Hoàn thành",
                date(2026, 3, 1),
                "Xong",
                "",
                "",
                when,
                "a.xlsx",
            )
            for u in ("SNV", "STP", "SYT", "SXD", "STC")
        )
        records.returns.extend(
            ReturnRow(u, f"Đơn vị {u}", "Quý I/2026", "a.xlsx", when, "Đã tổng hợp", 3, when, "")
            for u in ("SNV", "STP", "SYT")
        )
        records.extra.extend(
            ExtraRow("SNV", "Sở Nội vụ", "Quý I/2026", str(i), f"Việc {i}", "Hoàn thành", "", "", "", "", "b.xlsx")
            for i in range(3)
        )
        records.log.extend(LogRow(when, "thư ký", "Tổng hợp", f"{i}.xlsx", "1 phiếu") for i in range(3))
        records.mail.extend(
            MailRow(when, "SNV", "Quý I/2026", "Gửi phiếu", "a@b", f"<{i}@x>", "", "") for i in range(3)
        )
        m.save(records=records)
    before = {spec.name: typed(plain_rows(sample_master_copy, spec)) for spec in RECORD_SHEETS}
    assert all(len(before[s.name]) >= 3 for s in (SUMMARY, RETURNS, EXTRA, LOG, MAIL))
    with Master.open(sample_master_copy) as m:
        read = m.records
        assert {k: typed(v) for k, v in read.by_spec().items()} == before
        m.save(records=read)
    after = {spec.name: typed(plain_rows(sample_master_copy, spec)) for spec in RECORD_SHEETS}
    assert after == before
    with Master.open(sample_master_copy) as m:
        tasks = m.plan.tasks
        m.log("Kiểm tra", [], "không đổi gì")  # a run that writes its log line only
    after_log = {spec.name: typed(plain_rows(sample_master_copy, spec)) for spec in RECORD_SHEETS}
    assert after_log[LOG.name][: len(before[LOG.name])] == before[LOG.name]
    assert len(after_log[LOG.name]) == len(before[LOG.name]) + 1
    assert {k: v for k, v in after_log.items() if k != LOG.name} == {k: v for k, v in before.items() if k != LOG.name}
    assert Master.read(sample_master_copy).plan.tasks == tasks


def test_work_alongside_the_reading_is_done_and_its_thread_ended(sample_master_copy):
    """`records_alongside` does its work while the records are read, leaves no thread behind
    (the template is filled in a forked child) and a failing piece of work changes nothing."""
    import threading

    done = []

    def fail():
        raise RuntimeError("x")

    m = Master.read(sample_master_copy)
    before = threading.active_count()
    records = m.records_alongside(lambda: done.append(threading.current_thread().name), fail)
    assert threading.active_count() == before
    assert done == ["ccpkh-alongside"]
    assert typed(records.summary) == typed(Master.read(sample_master_copy).records.summary)
    again = m.records_alongside(lambda: done.append("inline"))  # already read: done here
    assert again is records and done[-1] == "inline"


def test_the_report_and_status_read_the_assignments_alongside(sample_master_copy, tmp_path, monkeypatch):
    """`report --kind bao-cao` and `status` build the plan's assignments while Tổng hợp is read
    (not after it); the figures are those of a plain reading."""
    from ccpkh_excel.domain import plan as plan_mod
    from ccpkh_excel.domain.status import compute_status
    from ccpkh_excel.features.documents.writing import write_document
    from ccpkh_excel.features.tracking import read_status

    where = []
    real = plan_mod.build_assignments

    def spy(plan):
        import threading

        where.append(threading.current_thread().name)
        return real(plan)

    for module in ("ccpkh_excel.features.documents.period_report", "ccpkh_excel.features.tracking"):
        monkeypatch.setattr(f"{module}.build_assignments", spy)
    st = read_status(sample_master_copy, "Quý I/2026", date(2026, 4, 10))
    assert where[0] == "ccpkh-alongside"
    m = Master.read(sample_master_copy)
    plain = compute_status(m.plan, m.records.summary, "Quý I/2026", date(2026, 4, 10), m.records.returns)
    assert st == plain
    where.clear()
    write_document(sample_master_copy, "bao-cao", tmp_path / "bc.docx", "Quý I/2026", as_of=date(2026, 4, 10))
    assert where[0] == "ccpkh-alongside"


@pytest.mark.parametrize(
    "xml",
    [
        "<?xml version='1.0'?>\n<w:document><w:body><w:p><w:r><w:t>Một dòng</w:t></w:r></w:p></w:body></w:document>",
        "<w:body><w:p><w:pPr><w:jc w:val='both'/></w:pPr><w:r><w:rPr><w:b/></w:rPr>"
        "<w:t xml:space='preserve'>hai\ndòng\tcó tab\aĐoạn mới\fTrang mới</w:t></w:r></w:p></w:body>",
        "<w:body><w:p><w:r><w:t>a</w:t></w:r></w:p>\n<w:p><w:r><w:t>b</w:t></w:r></w:p></w:body>",
        "<w:body><w:tbl/></w:body>\n",
    ],
)
def test_the_quick_template_resolves_breaks_as_docxtpl_does(xml):
    """A \\n, \\t, \\a or \\f in a text still becomes a break or a tab (docxtpl's own pass); with
    none after the first paragraph the XML is the very one docxtpl would give."""
    from docxtpl import DocxTemplate

    from ccpkh_excel.features.documents.rendering import _quick

    plain = DocxTemplate.__new__(DocxTemplate)
    quick = _quick(DocxTemplate).__new__(_quick(DocxTemplate))
    assert quick.resolve_listing(xml) == plain.resolve_listing(xml)
    if "\t" in xml:
        assert "<w:br/>" in quick.resolve_listing(xml) and "<w:tab/>" in quick.resolve_listing(xml)


def _figures():
    from ccpkh_excel.domain.status import Counts, StatusFigures

    st = StatusFigures("Quý I/2026", date(2026, 4, 10))
    st.fields = [Counts("Thể chế", 3, 1, 1, 1, 0), Counts("Công vụ", 2, 0, 0, 1, 1)]
    return st


def test_the_chart_drawn_alongside_is_the_chart(tmp_path, monkeypatch):
    """The chart drawn in a forked child is the very PNG drawn here; no child is left behind."""
    import os

    from ccpkh_excel.features.documents import period_report
    from ccpkh_excel.features.documents.period_report import _chart_alongside, chart

    def marked(st, path):
        path.with_suffix(".pid").write_text(str(os.getpid()))
        return chart(st, path)

    monkeypatch.setattr(period_report, "chart", marked)
    st = _figures()
    images = _chart_alongside(st, tmp_path / "a.png")()
    assert images == {"bieu_do": tmp_path / "a.png"}
    child = int((tmp_path / "a.pid").read_text())
    assert child != os.getpid()  # drawn by the child
    assert (tmp_path / "a.png").read_bytes() == chart(st, tmp_path / "b.png").read_bytes()
    with pytest.raises(ChildProcessError):  # that child reaped (other tests' servers may still run)
        os.waitpid(child, os.WNOHANG)
    assert _chart_alongside(type(st)("Quý I/2026", date(2026, 4, 10)), tmp_path / "c.png")() == {}


def test_a_chart_that_fails_in_the_child_is_drawn_here(tmp_path, monkeypatch):
    """A child that cannot draw (or dies) leaves the chart to this process: drawn, or its error raised."""
    import os

    from ccpkh_excel.features.documents import period_report

    parent = os.getpid()
    real = period_report.chart
    calls = []

    def only_here(st, path):
        if os.getpid() != parent:
            raise RuntimeError("no display")
        calls.append(path)
        return real(st, path)

    monkeypatch.setattr(period_report, "chart", only_here)
    images = period_report._chart_alongside(_figures(), tmp_path / "a.png")()
    assert images == {"bieu_do": tmp_path / "a.png"} and calls == [tmp_path / "a.png"]
    assert (tmp_path / "a.png").stat().st_size > 1000

    def never(st, path):
        raise RuntimeError("matplotlib hỏng")

    monkeypatch.setattr(period_report, "chart", never)
    with pytest.raises(RuntimeError, match="matplotlib hỏng"):
        period_report._chart_alongside(_figures(), tmp_path / "b.png")()


def test_the_figures_carry_each_tasks_lead_units_as_the_assignments_do():
    """The BÁO CÁO takes each task's lead units from the figures (not from the assignments
    again): the same sets, a task without a lead and a code used twice included."""
    from dataclasses import replace

    from ccpkh_excel.domain.plan import build_assignments
    from ccpkh_excel.domain.sample import sample_plan
    from ccpkh_excel.domain.status import compute_status
    from ccpkh_excel.domain.units import LEAD

    plan = sample_plan()
    plan.tasks[1] = replace(plan.tasks[1], lead="")  # no lead
    plan.tasks[3] = replace(plan.tasks[3], code=plan.tasks[2].code)  # a code used twice
    st = compute_status(plan, [], "Quý I/2026", date(2026, 4, 10))
    from_figures = {s.code: set(s.units) for s in st.tasks}
    from_assignments: dict[str, set[str]] = {}
    for a in build_assignments(plan):
        if a.role == LEAD:
            from_assignments.setdefault(a.task, set()).add(a.unit)
    assert {k: v for k, v in from_figures.items() if v} == from_assignments
    assert from_figures[plan.tasks[1].code] == set()


def test_a_province_s_records_are_left_to_refcounting_not_scanned_again(sample_master_copy, monkeypatch):
    """From FREEZE_ROWS rows the records read are moved out of the collector's generations
    (gc.freeze): a smaller master changes nothing; the rows are the same either way."""
    import gc

    plain = typed(Master.read(sample_master_copy).records.summary)
    frozen = gc.get_freeze_count()
    small = Master.read(sample_master_copy).records
    assert gc.get_freeze_count() == frozen and typed(small.summary) == plain
    monkeypatch.setattr(master_mod, "FREEZE_ROWS", 1)
    try:
        big = Master.read(sample_master_copy).records
        assert gc.get_freeze_count() > frozen
        assert typed(big.summary) == plain
        assert all(o is not big.summary for o in gc.get_objects(generation=2))  # not scanned again
    finally:
        gc.unfreeze()


def test_work_meanwhile_runs_while_the_child_fills_the_template(tmp_path):
    """`render(meanwhile=...)` does its work in this process while the child fills the
    template; its error changes nothing; the document is written."""
    import multiprocessing

    import docx

    from ccpkh_excel.features.documents.rendering import render

    template = tmp_path / "mau.docx"
    d = docx.Document()
    d.add_paragraph("Kỳ {{ ky }}")
    d.save(template)
    seen = []

    def meanwhile():
        seen.append(len(multiprocessing.active_children()))
        raise RuntimeError("không tìm thấy phông")

    render(template, {"ky": "Quý I/2026"}, tmp_path / "ra.docx", meanwhile=meanwhile)
    assert seen == [1]  # the child was at work
    assert "Kỳ Quý I/2026" in [p.text for p in docx.Document(str(tmp_path / "ra.docx")).paragraphs]


def test_the_report_looks_up_the_fonts_while_its_template_is_filled(sample_master_copy, tmp_path, monkeypatch):
    from ccpkh_excel.features.documents import writing

    calls = []
    monkeypatch.setattr(writing, "_fonts", lambda: calls.append("fonts"))
    writing.write_document(sample_master_copy, "bao-cao", tmp_path / "bc.docx", "Quý I/2026", as_of=date(2026, 4, 10))
    assert calls == ["fonts"]
