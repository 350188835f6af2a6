"""The `ccpkh-excel` command: a thin front end over the library, messages in Vietnamese."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import ccpkh_excel as api
from ccpkh_excel import __version__
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.frontends.options import err, out
from ccpkh_excel.frontends.options import parse_day as _parse_day
from ccpkh_excel.frontends.options import wait as _wait

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Cli(click.Group):
    """Catch the project's errors once: a Vietnamese line, an exit code, no traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CcpkhError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            err().print(f"[bold red]Lỗi:[/] {escape(str(exc))}")
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: say so plainly, details with --verbose
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            err().print(
                f"[bold red]Lỗi ngoài dự kiến:[/] {escape(exc.__class__.__name__)}: {escape(str(exc))}. "
                "Chạy lại với --verbose để xem chi tiết và báo cho người phụ trách."
            )
            ctx.exit(2)


@click.group(cls=Cli, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="ccpkh-excel")
@click.option("-v", "--verbose", is_flag=True, help="Hiện chi tiết lỗi (traceback) khi có sự cố.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="GIÂY",
    help="Sổ đang bận (một lần chạy khác đang ghi): chờ tối đa chừng ấy giây. Mặc định không chờ: báo bận, mã 2.",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool, wait: float) -> None:
    """Theo dõi kế hoạch cải cách hành chính bằng Excel.

    Quy trình: init (tạo sổ theo dõi) → import (nhập danh mục nhiệm vụ từ Word/Excel)
    → check (kiểm tra) → generate hoặc send (phiếu cho đơn vị) → merge hoặc collect (tổng hợp phiếu
    gửi về) → status, remind (đôn đốc) → report (văn bản Word).
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["wait"] = wait


master_arg = click.argument("master", type=click.Path(dir_okay=False, path_type=Path))


@cli.command("init")
@master_arg
@click.option("--sample", is_flag=True, help="Điền sẵn Kế hoạch CCHC tỉnh Thái Nguyên năm 2026 làm mẫu.")
@click.option("--force", is_flag=True, help="Ghi đè nếu tệp đã có.")
def init_cmd(master: Path, sample: bool, force: bool) -> None:
    """Tạo sổ theo dõi (master workbook) MASTER.xlsx."""
    plan = api.init_master(master, sample=sample, force=force, wait=_wait())
    what = f"mẫu với {len(plan.tasks)} nhiệm vụ và {len(plan.units)} đơn vị" if sample else "trống"
    out().print(f"Đã tạo sổ theo dõi {escape(str(master))} ({what}).")


@cli.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@master_arg
def import_cmd(source: Path, master: Path) -> None:
    """Nhập danh mục nhiệm vụ từ SOURCE (.docx hoặc .xlsx) vào MASTER.

    Mã 0: nhập xong, không có gì phải sửa; 1: đã nhập nhưng có tên đơn vị hoặc thời hạn
    cần sửa; 2: không nhập được (không ghi gì vào MASTER).
    """
    report = api.import_plan(source, master, wait=_wait())
    con = out()
    t = report.table
    con.print(
        f"Đã nhập {len(t.tasks)} nhiệm vụ từ {escape(source.name)} ({', '.join(t.tables)}) "
        f"vào {escape(master.name)}{' (tạo mới)' if report.created else ''}."
    )
    m = report.update
    con.print(
        f"  Mới: {len(m.added)} · Cập nhật: {len(m.updated)} · Không đổi: {len(m.unchanged)}"
        + (f" · Giữ nguyên (không có trong tệp nguồn): {len(m.kept)}" if m.kept else "")
    )
    if t.legacy:
        con.print(f"  Đã chuyển chữ mã cũ {t.legacy} sang Unicode.")
    for s in t.skipped:
        con.print(f"  Bỏ qua {escape(s)}.")
    _print_problems(con, report.problems)
    if report.created and report.problems:
        con.print("Gợi ý: khai báo các đơn vị ở sheet 'Đơn vị' (mã, tên, tên khác, nhóm) rồi chạy 'ccpkh-excel check'.")
    sys.exit(report.exit_code)


@cli.command("check")
@master_arg
def check_cmd(master: Path) -> None:
    """Kiểm tra MASTER trước khi gửi phiếu: tên đơn vị, thời hạn, trùng lặp, chủ trì, email.

    Mã 0: không có gì phải sửa; 1: có việc cần sửa.
    """
    report = api.check_master(master, wait=_wait())
    con = out()
    for c in report.changes:
        con.print(("Đã " if report.saved else "Cần ") + c[0].lower() + c[1:])
    if not report.saved:
        con.print(f"[yellow]Chưa lưu được thay đổi:[/] {escape(report.not_saved_reason)}")
    plan = report.plan
    con.print(f"Sổ {escape(master.name)}: {len(plan.tasks)} nhiệm vụ, {len(plan.units)} đơn vị.")
    _print_problems(con, report.problems)
    sys.exit(report.exit_code)


def _print_problems(con: Console, problems: list) -> None:
    """Problems as plain lines grouped by kind: readable, and copyable into a message."""
    if not problems:
        con.print("[green]Không có gì cần sửa.[/]")
        return
    con.print(f"[bold yellow]Có {len(problems)} điểm cần sửa:[/]")
    kinds: dict[str, list] = {}
    for p in problems:
        kinds.setdefault(p.kind, []).append(p)
    for kind, items in kinds.items():
        con.print(f"[bold]{escape(kind)}[/] ({len(items)}):")
        for p in items:
            con.print(f"  - {escape(p.message)}")


@cli.command("generate")
@master_arg
@click.option(
    "--period", required=True, help="Kỳ báo cáo: 'Quý I/2026' … 'Quý IV/2026', '6 tháng đầu năm 2026', 'Năm 2026'."
)
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Thư mục ghi phiếu."
)
@click.option("--unit", "units", multiple=True, help="Chỉ tạo phiếu cho đơn vị mã này (lặp lại được).")
@click.option("--due", help="Hạn gửi lại phiếu (dd/mm/yyyy); mặc định 5 ngày sau cuối kỳ.")
def generate_cmd(master: Path, period: str, out_dir: Path, units: tuple[str, ...], due: str | None) -> None:
    """Tạo phiếu báo cáo (.xlsx) cho từng đơn vị có nhiệm vụ, kèm danh sách gửi."""
    report = api.generate(master, period, out_dir, list(units) or None, _parse_day(due, "--due"), wait=_wait())
    con = out()
    con.print(f"Đã tạo {len(report.files)} phiếu kỳ {escape(report.period.label)} trong {escape(str(out_dir))}.")
    for f in report.files:
        con.print(f"  - {escape(f.file.name)} ({f.tasks} nhiệm vụ; {escape(f.email or 'chưa có email')})")
    for code in report.skipped:
        con.print(f"  Đơn vị {escape(code)} không có nhiệm vụ nào: không tạo phiếu.")
    if report.manifest:
        con.print(f"Danh sách gửi: {escape(str(report.manifest))}")


@cli.command("merge")
@master_arg
@click.argument("returned", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra và báo kết quả, không ghi vào sổ.")
@click.option("--period", help="Chỉ nhận phiếu của kỳ này.")
def merge_cmd(master: Path, returned: tuple[Path, ...], dry_run: bool, period: str | None) -> None:
    """Tổng hợp phiếu các đơn vị gửi về (tệp và/hoặc thư mục) vào MASTER.

    Mã 0: mọi phiếu đã tổng hợp; 1: có phiếu bị từ chối hoặc có dòng không được nhận;
    2: không chạy được (sổ không đọc được, đang mở, không có phiếu nào).
    """
    from rich.progress import Progress

    con = out()
    files = api.collect_files(returned) or list(returned)
    n = len(files)
    if n > 20:
        with Progress(console=Console(file=sys.stderr), transient=True) as bar:
            task = bar.add_task("Đang đọc phiếu", total=n)
            report = api.merge_returns(
                master, files, dry_run, period, progress=lambda i, _: bar.update(task, completed=i), wait=_wait()
            )
    else:
        report = api.merge_returns(master, files, dry_run, period, wait=_wait())
    # totals, then only the files that need a look: a province's thousand clean returns stay one line
    counts: dict[str, int] = {}
    for f in report.files:
        counts[f.outcome] = counts.get(f.outcome, 0) + 1
    noted = [f for f in report.files if f.reason or f.not_applied or f.warnings]
    if noted:
        title = "Tệp cần xem lại" + (" (chạy thử, chưa ghi)" if dry_run else "")
        table = Table(title=title, header_style="bold")
        for h in ("Tệp", "Đơn vị", "Kỳ", "Kết quả", "Số dòng", "Ghi chú"):
            table.add_column(h, overflow="fold")
        for f in noted:
            notes = ([f.reason] if f.reason else []) + f.not_applied + f.warnings
            table.add_row(
                escape(f.path.name),
                escape(f.unit),
                escape(f.period),
                escape(f.outcome),
                str(len(f.rows)),
                escape("; ".join(notes)),
            )
        con.print(table)
    merged = sum(1 for f in report.files if f.outcome.startswith("Đã tổng hợp"))
    con.print(f"Đã tổng hợp {merged}/{len(report.files)} tệp." + (" (chạy thử, chưa ghi gì vào sổ)" if dry_run else ""))
    con.print("  " + " · ".join(f"{escape(k)}: {v}" for k, v in counts.items()))
    if report.missing:
        con.print(f"Chưa nộp ({len(report.missing)}): " + ", ".join(escape(f"{u} ({p})") for u, _, p in report.missing))
    if report.backup:
        con.print(f"Bản sao lưu sổ trước khi ghi: {escape(str(report.backup))}")
    sys.exit(report.exit_code)


@cli.command("status")
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


@cli.command("derive")
@master_arg
@click.option("--unit", "unit", required=True, help="Mã đơn vị lập kế hoạch riêng.")
@click.option(
    "--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Sổ theo dõi của đơn vị."
)
@click.option("--force", is_flag=True, help="Ghi đè nếu tệp đã có.")
def derive_cmd(master: Path, unit: str, out_path: Path, force: bool) -> None:
    """Lập sổ theo dõi kế hoạch của một đơn vị từ kế hoạch cấp trên (phân cấp xuống)."""
    plan = api.derive(master, unit, out_path, force, wait=_wait())
    lead = sum(1 for t in plan.tasks if " chủ trì theo " in t.note)
    out().print(
        f"Đã tạo {escape(str(out_path))}: {len(plan.tasks)} nhiệm vụ ({lead} chủ trì, {len(plan.tasks) - lead} phối hợp), "
        f"{len(plan.basis)} căn cứ. Thêm các phòng của đơn vị vào sheet Đơn vị rồi giao nhiệm vụ."
    )


@cli.command("report")
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


@cli.command("lint-docx")
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


@cli.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("ccpkh-demo"),
    show_default=True,
    help="Thư mục ghi kết quả chạy thử.",
)
def demo_cmd(out_dir: Path) -> None:
    """Chạy thử cả chu trình trên kế hoạch mẫu: tạo sổ, kiểm tra, tạo phiếu, tổng hợp, thống kê."""
    from ccpkh_excel.frontends.demo import run_demo

    run_demo(out_dir, out())


from ccpkh_excel.frontends.excel_cli import register as _register_excel  # noqa: E402
from ccpkh_excel.frontends.mail_cli import register as _register_mail  # noqa: E402

_register_mail(cli)  # send, collect, remind, mail-password
_register_excel(cli)  # macros


def main() -> None:
    cli(prog_name="ccpkh-excel")


if __name__ == "__main__":
    main()
