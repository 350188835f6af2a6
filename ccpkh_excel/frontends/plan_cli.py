"""The plan commands of `ccpkh-excel`: import, check, units accept.

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
@click.option(
    "--interactive",
    "-i",
    is_flag=True,
    help="Hỏi lần lượt từng tên đơn vị chưa nhận ra hoặc nhận gần đúng; tên được xác nhận ghi vào Tên khác.",
)
def import_cmd(source: Path, master: Path, interactive: bool) -> None:
    """Nhập danh mục nhiệm vụ từ SOURCE vào MASTER.

    SOURCE: .docx, .xlsx, PDF (có chữ, hoặc bản quét: đọc bằng Tesseract OCR), ảnh quét
    (.png, .jpg, .tif) hoặc văn bản .txt. Không có bảng danh mục thì đọc mục "Tổ chức thực
    hiện" giao việc cho từng cơ quan. Kết quả đọc ghi ở sheet "Kiểm tra nhập".

    Mã 0: nhập xong, không có gì phải sửa; 1: đã nhập nhưng có tên đơn vị hoặc thời hạn
    cần sửa hay cần xem lại; 2: không nhập được (không ghi gì vào MASTER).
    """
    con = out()
    with _page_progress(con) as progress:
        report = api.import_plan(source, master, wait=_wait(), progress=progress)
    t = report.table
    con.print(
        f"Đã nhập {len(t.tasks)} nhiệm vụ từ {escape(source.name)} ({escape(_where(t.tables))}) "
        f"vào {escape(master.name)}{' (tạo mới)' if report.created else ''}."
    )
    m = report.update
    con.print(
        f"  Mới: {len(m.added)} · Cập nhật: {len(m.updated)} · Không đổi: {len(m.unchanged)}"
        + (f" · Giữ nguyên (không có trong tệp nguồn): {len(m.kept)}" if m.kept else "")
    )
    if t.legacy:
        con.print(f"  Đã chuyển chữ mã cũ {t.legacy} sang Unicode.")
    if t.scanned:
        con.print("  Đọc từ bản quét (OCR): hãy đối chiếu sheet 'Kiểm tra nhập' với bản gốc.")
    for s in t.skipped:
        con.print(f"  Bỏ qua {escape(s)}.")
    for n in t.notes:
        con.print(f"  {escape(n)}")
    if report.warnings:
        con.print(f"[bold yellow]Cần xem lại ({len(report.warnings)}):[/]")
        for w in report.warnings:
            con.print(f"  - {escape(w)}")
    code = report.exit_code
    if interactive:
        code = _review_names(con, report, master)
    else:
        _print_problems(con, report.problems)
        if report.created and report.problems:
            con.print(
                "Gợi ý: khai báo các đơn vị ở sheet 'Đơn vị' (mã, tên, tên khác, nhóm) rồi chạy 'ccpkh-excel check'."
            )
    sys.exit(code)


def _where(tables: list[str]) -> str:
    """The tables read: "bảng 1, bảng 2", or for a PDF or a scan "bảng ở trang 2–11"."""
    import re

    pages = [int(m.group(1)) for w in tables if (m := re.match(r"trang (\d+), bảng", w))]
    if len(pages) > 2 and len(pages) == len(tables):
        return f"bảng ở trang {min(pages)}–{max(pages)}"
    return ", ".join(tables)


class _page_progress:
    """A progress bar per page while a scan is read by OCR (shown only when one is)."""

    def __init__(self, con: Console):
        self.con, self.bar, self.task = con, None, None

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("Đọc bản quét (OCR)"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("trang"),
                TimeElapsedColumn(),
                console=Console(file=sys.stderr),
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("ocr", total=total)
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _review_names(con: Console, report, master: Path) -> int:
    """Ask about each name not resolved exactly; confirmed spellings become Tên khác. Then check."""
    from ccpkh_excel.features.name_review import accept_name, suggestions

    plan = api.read_plan(master)
    asked = suggestions(report.table, plan.directory())
    if asked:
        con.print(f"[bold]Xác nhận {len(asked)} tên đơn vị (Enter: bỏ qua):[/]")
    for text, guess in asked:
        code = ""
        if guess is not None and len(guess.codes) == 1:
            if click.confirm(f"  '{text}' là '{guess.label}' ({guess.codes[0]})?", default=True):
                code = guess.codes[0]
        if not code:
            code = click.prompt(f"  Mã đơn vị của '{text}'", default="", show_default=False).strip()
        if code:
            try:
                done = accept_name(master, text, code, wait=_wait())
            except api.CcpkhError as exc:
                con.print(f"  [red]{escape(str(exc))}[/]")
                continue
            con.print(f"  Đã ghi '{escape(text)}' vào Tên khác của {done.unit.code} – {escape(done.unit.name)}.")
    checked = api.check_master(master, wait=_wait())
    _print_problems(con, checked.problems)
    return checked.exit_code


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


@click.group("units")
def units_group() -> None:
    """Tên đơn vị: ghi nhận cách viết khác của một đơn vị (Tên khác)."""


@units_group.command("accept")
@master_arg
@click.argument("name")
@click.argument("code")
def units_accept_cmd(master: Path, name: str, code: str) -> None:
    """Ghi NAME (tên đọc được trong văn bản nhập) vào Tên khác của đơn vị mã CODE trong MASTER:
    lần nhập sau tên này được nhận ngay, không phải xác nhận lại.

    Mã 0: đã ghi (hoặc đã có sẵn); 2: không ghi được (mã không có, tên thuộc đơn vị khác).
    """
    from ccpkh_excel.features.name_review import accept_name

    done = accept_name(master, name, code, wait=_wait())
    con = out()
    if done.added:
        con.print(f"Đã ghi '{escape(done.spelling)}' vào Tên khác của {done.unit.code} – {escape(done.unit.name)}.")
    else:
        con.print(f"'{escape(done.spelling)}' đã là tên của {done.unit.code} – {escape(done.unit.name)}; không đổi gì.")


COMMANDS = (import_cmd, check_cmd, units_group)


def register(group: click.Group) -> click.Group:
    """Add these commands to `group` (the `ccpkh-excel` group)."""
    for command in COMMANDS:
        group.add_command(command)
    return group
