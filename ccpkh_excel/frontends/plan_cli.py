"""The plan commands of `ccpkh-excel`: import, check.

Thin like the others: parse, one library call, print in Vietnamese; `register(cli)` adds them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

import ccpkh_excel as api
from ccpkh_excel.frontends.options import out
from ccpkh_excel.frontends.options import wait as _wait

master_arg = click.argument("master", type=click.Path(dir_okay=False, path_type=Path))


@click.command("import")
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


@click.command("check")
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


COMMANDS = (import_cmd, check_cmd)


def register(group: click.Group) -> click.Group:
    """Add these commands to `group` (the `ccpkh-excel` group)."""
    for command in COMMANDS:
        group.add_command(command)
    return group
