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
    heads = ("Số NV", "Đúng hạn", "Quá hạn (xong)", "Đang làm", "Quá hạn", "Chưa làm", "% xong")
    t = Table(title="Theo lĩnh vực", header_style="bold")
    t.add_column("Lĩnh vực")
    for h in heads:
        t.add_column(h, justify="right")
    for c in [*st.fields, st.total]:
        t.add_row(
            escape(c.label), *map(str, (c.tasks, c.on_time, c.late, c.in_progress, c.overdue, c.rest)), f"{c.pct:.1f}"
        )
    con.print(t)
    t = Table(title="Theo đơn vị chủ trì", header_style="bold")
    t.add_column("Đơn vị")
    for h in ("Số NV", "Đúng hạn", "Quá hạn (xong)", "Đang làm", "Quá hạn", "Chưa báo cáo", "% xong"):
        t.add_column(h, justify="right")
    for _, c in st.units:
        t.add_row(
            escape(c.label), *map(str, (c.tasks, c.on_time, c.late, c.in_progress, c.overdue, c.rest)), f"{c.pct:.1f}"
        )
    con.print(t)
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
    master: Path, kind: str, period, unit, as_of, out_path: Path, pdf: bool, template, pdf_timeout: float
) -> None:
    """Viết văn bản Word đúng thể thức Nghị định 30/2020 từ sổ theo dõi."""
    result = api.write_document(
        master, kind, out_path, period, unit, template, pdf, _parse_day(as_of, "--as-of"), pdf_timeout=pdf_timeout
    )
    con = out()
    con.print(f"Đã viết {escape(str(result.path))}" + (f" và {escape(str(result.pdf))}" if result.pdf else "") + ".")
    for w in result.warnings:
        con.print(f"[yellow]Lưu ý:[/] {escape(w)}")


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
