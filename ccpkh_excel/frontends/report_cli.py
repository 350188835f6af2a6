"""The reporting commands of `ccpkh-excel`: status, report, lint-docx.

Thin like the others: parse, one library call, print in Vietnamese; `register(cli)` adds them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

import ccpkh_excel as api
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.frontends.options import out
from ccpkh_excel.frontends.options import parse_day as _parse_day

master_arg = click.argument("master", type=click.Path(dir_okay=False, path_type=Path))


@click.command("status")
@master_arg
@click.option("--period", help="Kỳ báo cáo; mặc định kỳ mới nhất có số liệu.")
@click.option("--as-of", "as_of", help="Tính đến ngày (dd/mm/yyyy); mặc định hôm nay.")
@click.option(
    "--export",
    "export",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ghi số liệu ra tệp .xlsx (mỗi bảng một sheet) hoặc .csv (mỗi bảng một tệp).",
)
def status_cmd(master: Path, period: str | None, as_of: str | None, export: Path | None) -> None:
    """Tình hình thực hiện: theo lĩnh vực, theo đơn vị, đơn vị chưa nộp, nhiệm vụ quá hạn."""
    st = api.read_status(master, period, _parse_day(as_of, "--as-of"))
    con = out()
    if export:
        for f in api.export_status(st, export):
            con.print(f"Đã ghi số liệu ra {escape(str(f))}.")
    con.print(f"[bold]Kỳ {escape(st.period)}, tính đến ngày {st.as_of:%d/%m/%Y}[/]")
    heads = ("Số NV", "Xong đúng hạn", "Xong quá hạn", "Đang làm trong hạn", "Quá hạn chưa xong", "Chưa báo cáo¹")
    t = Table(title="Theo lĩnh vực", header_style="bold")
    t.add_column("Lĩnh vực")
    for h in (*heads, "% xong"):
        t.add_column(h, justify="right")
    for c in [*st.fields, st.total]:
        t.add_row(escape(c.label), *map(str, (c.tasks, *c.classes, c.rest)), f"{c.pct:.1f}")
    con.print(t)
    if st.units:  # one table by unit, in the order of the ranking (a province's communes printed once)
        t = Table(title="Theo đơn vị chủ trì — xếp hạng đơn vị theo tỷ lệ hoàn thành đúng hạn", header_style="bold")
        t.add_column("Hạng", justify="right")
        t.add_column("Đơn vị")
        for h in (*heads, "% xong", "% đúng hạn"):
            t.add_column(h, justify="right")
        for r in st.ranking():
            c = r.counts
            t.add_row(
                str(r.rank),
                escape(r.name),
                *map(str, (c.tasks, *c.classes, c.rest)),
                f"{c.pct:.1f}",
                f"{c.pct_on_time:.1f}",
            )
        con.print(t)
    con.print("¹ Trong số nhiệm vụ ở bốn cột trước: chưa có báo cáo của đơn vị chủ trì (xếp nhóm theo hạn).")
    if st.missing:
        con.print(f"[bold]Đơn vị chưa nộp phiếu ({len(st.missing)}):[/]")
        for code, name in st.missing:
            con.print(f"  - {escape(code)} – {escape(name)}")
    else:
        con.print("Mọi đơn vị đã nộp phiếu kỳ này.")
    if st.overdue:
        con.print(f"[bold]Nhiệm vụ quá hạn ({len(st.overdue)}):[/]")
        for task in st.overdue:
            con.print(f"  - {escape(task.code)} (hạn {task.due:%d/%m/%Y}): {escape(task.content)}")
    else:
        con.print("Không có nhiệm vụ quá hạn.")


@click.command("report")
@master_arg
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["ke-hoach", "bao-cao", "phu-luc", "don-doc"]),
    help="ke-hoach: Kế hoạch; bao-cao: Báo cáo kỳ; phu-luc: Danh mục nhiệm vụ; don-doc: công văn đôn đốc.",
)
@click.option("--period", help="Kỳ báo cáo (bao-cao, don-doc); mặc định kỳ mới nhất có số liệu.")
@click.option("--unit", help="Chỉ một đơn vị (bao-cao: báo cáo của đơn vị; don-doc: gửi riêng đơn vị).")
@click.option("--as-of", "as_of", help="Tính đến ngày (dd/mm/yyyy); mặc định hôm nay.")
@click.option(
    "--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Tệp .docx ghi ra."
)
@click.option("--pdf", is_flag=True, help="Xuất thêm bản PDF (cần LibreOffice).")
@click.option(
    "--per-unit",
    "per_unit",
    is_flag=True,
    help="don-doc: mỗi đơn vị chậm một công văn riêng (trộn thư); --out là thư mục.",
)
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path), help="Dùng mẫu .docx khác mẫu có sẵn.")
@click.option(
    "--pdf-timeout",
    "pdf_timeout",
    type=click.FloatRange(min=1),
    default=120,
    show_default=True,
    metavar="GIÂY",
    help="Chờ LibreOffice xuất PDF tối đa chừng ấy giây; quá thì dừng LibreOffice và báo lỗi (mã 2).",
)
def report_cmd(
    master: Path,
    kind: str,
    period,
    unit,
    as_of,
    out_path: Path,
    pdf: bool,
    per_unit: bool,
    template,
    pdf_timeout: float,
) -> None:
    """Viết văn bản Word đúng thể thức Nghị định 30/2020 từ sổ theo dõi, rồi kiểm tra thể thức văn bản vừa viết."""
    day = _parse_day(as_of, "--as-of")
    if per_unit:
        if kind != "don-doc":
            raise CcpkhError("--per-unit chỉ dùng với --kind don-doc.")
        from ccpkh_excel.features.documents.writing import write_reminders

        results = write_reminders(master, out_path, period, day, template, pdf, pdf_timeout)
    else:
        results = [
            api.write_document(master, kind, out_path, period, unit, template, pdf, day, pdf_timeout=pdf_timeout)
        ]
    con = out()
    if per_unit:
        con.print(f"Đã viết {len(results)} công văn đôn đốc vào {escape(str(out_path))}.")
    bad = 0
    for result in results:
        if not per_unit:
            con.print(
                f"Đã viết {escape(str(result.path))}" + (f" và {escape(str(result.pdf))}" if result.pdf else "") + "."
            )
        if result.deviations:
            bad += 1
            con.print(f"[red]{escape(result.path.name)}: {len(result.deviations)} điểm chưa đúng thể thức:[/]")
            for d in result.deviations:
                con.print(f"  - {escape(str(d))}")
        elif not per_unit:
            con.print(f"Kiểm tra thể thức: {escape(result.path.name)} đúng thể thức Nghị định 30/2020/NĐ-CP.")
    if per_unit and not bad:
        con.print("Kiểm tra thể thức: tất cả đúng thể thức Nghị định 30/2020/NĐ-CP.")
    for w in dict.fromkeys(w for r in results for w in r.warnings):
        con.print(f"[yellow]Lưu ý:[/] {escape(w)}")
    if bad:
        sys.exit(1)


@click.command("lint-docx")
@click.argument("docx_file", type=click.Path(dir_okay=False, path_type=Path))
def lint_cmd(docx_file: Path) -> None:
    """Kiểm tra thể thức văn bản .docx theo Nghị định 30/2020. Mã 0: đúng; 1: có điểm sai."""
    if not docx_file.exists():
        raise CcpkhError("không tìm thấy tệp.", docx_file)
    deviations = api.lint_docx(docx_file)
    con = out()
    if not deviations:
        con.print(f"{escape(docx_file.name)}: đúng thể thức Nghị định 30/2020/NĐ-CP.")
        sys.exit(0)
    con.print(f"{escape(docx_file.name)}: {len(deviations)} điểm chưa đúng thể thức:")
    for d in deviations:
        con.print(f"  - {escape(str(d))}")
    sys.exit(1)


COMMANDS = (status_cmd, report_cmd, lint_cmd)


def register(group: click.Group) -> click.Group:
    """Add these commands to `group` (the `ccpkh-excel` group)."""
    for command in COMMANDS:
        group.add_command(command)
    return group
