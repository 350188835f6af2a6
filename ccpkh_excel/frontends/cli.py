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
from ccpkh_excel.errors import CcpkhError, library_failure
from ccpkh_excel.frontends.listing import some_of
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
        except BaseException as exc:  # a bug (or a library's panic): say so plainly, details with --verbose
            if not library_failure(exc):
                raise
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
    if report.failed:
        for code, why in report.failed.items():
            err().print(f"[bold red]Lỗi:[/] đơn vị {escape(code)}: {escape(why)}.")
        err().print(f"{len(report.failed)} đơn vị chưa có phiếu; giải phóng chỗ trống hoặc sửa quyền ghi rồi chạy lại.")
        sys.exit(1)


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
        missing = [f"{u} ({p})" for u, _, p in report.missing]
        con.print(f"Chưa nộp ({len(missing)}): " + escape(some_of(missing, "đơn vị khác (xem sheet Theo dõi nộp).")))
    if report.backup:
        con.print(f"Bản sao lưu sổ trước khi ghi: {escape(str(report.backup))}")
    sys.exit(report.exit_code)


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
from ccpkh_excel.frontends.plan_cli import register as _register_plan  # noqa: E402
from ccpkh_excel.frontends.report_cli import register as _register_report  # noqa: E402

_register_plan(cli)  # import, check
_register_report(cli)  # status, report, lint-docx
_register_mail(cli)  # send, collect, remind, mail-password
_register_excel(cli)  # macros


def main() -> None:
    cli(prog_name="ccpkh-excel")


if __name__ == "__main__":
    main()
