"""The e-mail commands of `ccpkh-excel`: send, collect, remind, mail-password.

Thin like the other commands: parse, one library call (`ccpkh_excel.features.mailing`), print
the totals and the problems in Vietnamese. `register(cli)` adds them to the `ccpkh-excel`
group, whose error handling turns a `CcpkhError` into a Vietnamese line and exit code 2.
(It does not import `frontends.cli`, which imports it; what both need is in `frontends.options`.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ccpkh_excel.frontends.listing import some_of
from ccpkh_excel.frontends.options import out
from ccpkh_excel.frontends.options import parse_day as _parse_day
from ccpkh_excel.frontends.options import wait as _wait

master_arg = click.argument("master", type=click.Path(dir_okay=False, path_type=Path))


def _failures(con: Console, title: str, deliveries) -> None:
    if not deliveries:
        return
    table = Table(title=title, header_style="bold")
    for h in ("Đơn vị", "Địa chỉ", "Lý do"):
        table.add_column(h, overflow="fold")
    for d in deliveries:
        table.add_row(escape(d.unit), escape("; ".join(d.addresses)), escape(d.error))
    con.print(table)


def _no_email(con: Console, rows) -> None:
    if rows:
        con.print(f"[bold yellow]Đơn vị chưa có email hoặc email sai ({len(rows)}):[/] sửa cột Email ở sheet Đơn vị.")
        for code, name, cell in rows:
            con.print(f"  - {escape(code)} – {escape(name)}" + (f": '{escape(cell)}'" if cell else ""))


# --- send ------------------------------------------------------------------------------------------
@click.command("send")
@master_arg
@click.option("--period", required=True, help="Kỳ báo cáo, ví dụ 'Quý I/2026'.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục ghi phiếu; mặc định phieu_gui/<kỳ> cạnh sổ.",
)
@click.option("--unit", "units", multiple=True, help="Chỉ gửi cho đơn vị mã này (lặp lại được).")
@click.option("--due", help="Hạn gửi lại phiếu (dd/mm/yyyy); mặc định hạn đã gửi trước đó, hoặc 5 ngày sau cuối kỳ.")
@click.option("--resend", is_flag=True, help="Gửi lại cả cho đơn vị đã được gửi phiếu kỳ này.")
@click.option("--dry-run", is_flag=True, help="Chỉ liệt kê thư sẽ gửi, không tạo phiếu, không gửi, không ghi sổ.")
def send_cmd(master: Path, period: str, out_dir, units, due, resend: bool, dry_run: bool) -> None:
    """Gửi mỗi đơn vị một thư kèm phiếu báo cáo của đơn vị (tạo phiếu nếu cần).

    Mã 0: mọi thư đã gửi; 1: có thư không gửi được hoặc đơn vị chưa có email; 2: không chạy
    được (cài đặt thư, mật khẩu sai, máy chủ không kết nối được: không gửi, không ghi gì).
    """
    from ccpkh_excel.features.mailing import send_forms

    r = send_forms(
        master, period, out_dir, list(units) or None, _parse_day(due, "--due"), resend, dry_run, wait=_wait()
    )
    con = out()
    label = escape(r.period.label)
    if dry_run:
        con.print(f"Chạy thử: sẽ gửi {len(r.messages)} thư kỳ {label} (chưa tạo phiếu, chưa gửi, chưa ghi sổ).")
        for d in r.messages:
            con.print(f"  - {escape(d.unit)} – {escape(d.name)}: {escape('; '.join(d.addresses))}")
    elif not r.messages:
        con.print(f"Kỳ {label}: không có thư nào cần gửi.")
    else:
        con.print(f"Kỳ {label}: đã gửi {len(r.sent)}/{len(r.messages)} thư, mỗi thư kèm phiếu của đơn vị.")
        if r.messages:
            con.print(f"  Phiếu trong thư mục {escape(str(r.out_dir))}; hạn gửi lại {r.messages[0].due:%d/%m/%Y}.")
        _failures(con, "Thư chưa gửi được (chạy lại lệnh để gửi tiếp)", r.failed)
        if r.generated:
            for code, why in r.generated.failed.items():
                con.print(f"[yellow]Đơn vị {escape(code)}:[/] {escape(why)}")
    if r.already:
        con.print(
            f"Đã gửi phiếu kỳ này trước đó, không gửi lại ({len(r.already)}): {escape(', '.join(r.already))}"
            " (dùng --resend để gửi lại)."
        )
    if r.returned:
        con.print(f"Đã nộp phiếu kỳ này, không gửi ({len(r.returned)}): {escape(', '.join(r.returned))}.")
    for code in r.skipped:
        con.print(f"Đơn vị {escape(code)} không có nhiệm vụ nào: không có phiếu.")
    _no_email(con, r.no_email)
    if r.backup:
        con.print(f"Bản sao lưu sổ trước khi ghi: {escape(str(r.backup))}")
    sys.exit(r.exit_code)


# --- collect ---------------------------------------------------------------------------------------
@click.command("collect")
@master_arg
@click.option("--period", help="Chỉ nhận phiếu của kỳ này (thư có phiếu kỳ khác để nguyên).")
@click.option("--dry-run", is_flag=True, help="Chỉ đọc và kiểm tra: không ghi sổ, không đánh dấu thư.")
@click.option("--reply", is_flag=True, help="Trả lời từng người gửi: đã tổng hợp, hay bị từ chối và lý do.")
def collect_cmd(master: Path, period: str | None, dry_run: bool, reply: bool) -> None:
    """Nhận phiếu các đơn vị gửi về hộp thư (IMAP) và tổng hợp vào MASTER như lệnh merge.

    Thư đã xử lý được đánh dấu (hoặc chuyển thư mục) để lần sau không lấy lại; thư không có
    tệp Excel để nguyên. Mã 0: mọi phiếu đã tổng hợp; 1: có phiếu bị từ chối, dòng không được
    nhận, hoặc thư chưa xử lý được; 2: không chạy được (cài đặt, mật khẩu, máy chủ, sổ).
    """
    from ccpkh_excel.features.mailing import MERGED, MERGED_WARN, collect_returns

    r = collect_returns(master, period, dry_run, reply, wait=_wait())
    con = out()
    n_files = len(r.files)
    con.print(
        f"Hộp thư {escape(r.folder)}: {len(r.messages)} thư mới có tệp Excel ({n_files} tệp), "
        f"{len(r.untouched)} thư không có phiếu (để nguyên)."
        + (" Chạy thử: chưa ghi sổ, chưa đánh dấu thư." if dry_run else "")
    )
    noted = [(mo, f) for mo in r.messages for f in mo.files if f.outcome not in (MERGED,) or mo.stranger]
    if noted:
        table = Table(title="Tệp cần xem lại", header_style="bold")
        for h in ("Người gửi", "Tệp", "Đơn vị", "Kỳ", "Kết quả", "Ghi chú"):
            table.add_column(h, overflow="fold")
        for mo, f in noted:
            notes = [x for x in (f.reason, mo.sender_note) if x]
            table.add_row(
                escape(mo.sender),
                escape(f.name),
                escape(f.merge.unit if f.merge else ""),
                escape(f.merge.period if f.merge else ""),
                escape(f.outcome or "Chưa xử lý"),
                escape("; ".join(x.rstrip(". ") for x in notes)),
            )
        con.print(table)
    merged = sum(1 for f in r.files if f.outcome in (MERGED, MERGED_WARN))
    if n_files:
        counts: dict[str, int] = {}
        for f in r.files:
            counts[f.outcome or "Chưa xử lý"] = counts.get(f.outcome or "Chưa xử lý", 0) + 1
        con.print(f"Đã tổng hợp {merged}/{n_files} tệp.  " + " · ".join(f"{escape(k)}: {v}" for k, v in counts.items()))
    for mo in r.untouched:
        if mo.note and "không có tệp" not in mo.note:
            con.print(f"  Để nguyên thư của {escape(mo.sender)}: {escape(mo.note)}")
    if r.earlier:
        con.print(f"{len(r.earlier)} thư đã nhận ở lần chạy trước, nay chỉ đánh dấu (không tổng hợp lại).")
    if r.merge and r.merge.missing:
        missing = [f"{u} ({p})" for u, _, p in r.merge.missing if not period or p == period]
        if missing:
            con.print(
                f"Chưa nộp ({len(missing)}): " + escape(some_of(missing, "đơn vị khác (xem sheet Theo dõi nộp)."))
            )
    if r.replies:
        sent = [d for d in r.replies if d.ok]
        con.print(f"Đã trả lời {len(sent)}/{len(r.replies)} người gửi.")
        _failures(con, "Thư trả lời chưa gửi được", [d for d in r.replies if d.error])
    for p in r.problems:
        con.print(f"[yellow]Lưu ý:[/] {escape(p)}")
    if r.backup:
        con.print(f"Bản sao lưu sổ trước khi ghi: {escape(str(r.backup))}")
    sys.exit(r.exit_code)


# --- remind ----------------------------------------------------------------------------------------
@click.command("remind")
@master_arg
@click.option("--period", required=True, help="Kỳ báo cáo, ví dụ 'Quý I/2026'.")
@click.option("--as-of", "as_of", help="Tính đến ngày (dd/mm/yyyy); mặc định hôm nay.")
@click.option(
    "--days-before",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Nhắc từ chừng ấy ngày trước hạn gửi lại.",
)
@click.option("--pdf/--no-pdf", default=None, help="Kèm bản PDF của công văn (mặc định: khi có LibreOffice).")
@click.option("--dry-run", is_flag=True, help="Chỉ liệt kê thư sẽ gửi, không gửi, không ghi sổ.")
def remind_cmd(master: Path, period: str, as_of, days_before: int, pdf, dry_run: bool) -> None:
    """Nhắc đơn vị chưa nộp phiếu: trước hạn là thư nhắc; quá hạn là thư kèm công văn đôn đốc.

    Không bao giờ gửi cho đơn vị đã nộp; mỗi đơn vị nhận nhiều nhất một thư mỗi ngày. Mã 0: đã
    gửi đủ; 1: có thư không gửi được hoặc đơn vị chưa có email; 2: không chạy được.
    """
    from ccpkh_excel.features.mailing import URGE, send_reminders

    r = send_reminders(master, period, _parse_day(as_of, "--as-of"), days_before, dry_run, wait=_wait(), pdf=pdf)
    con = out()
    head = f"Kỳ {escape(r.period.label)}, tính đến {r.as_of:%d/%m/%Y}"
    if dry_run:
        con.print(f"{head} — chạy thử: sẽ gửi {len(r.messages)} thư (chưa gửi, chưa ghi sổ).")
    else:
        urge = sum(1 for d in r.sent if d.action == URGE)
        con.print(f"{head}: đã gửi {len(r.sent) - urge} thư nhắc hạn và {urge} thư đôn đốc (kèm công văn).")
    for d in r.messages:
        what = "đôn đốc, kèm công văn" if d.action == URGE else "nhắc hạn"
        state = "" if dry_run else (" — đã gửi" if d.ok else " — lỗi")
        con.print(f"  - {escape(d.unit)} – {escape(d.name)} ({what}; hạn {d.due:%d/%m/%Y}){state}")
    _failures(con, "Thư chưa gửi được", r.failed)
    if r.already:
        con.print(f"Đã nhắc hôm nay, không gửi thêm ({len(r.already)}): {escape(', '.join(r.already))}.")
    if r.not_yet:
        con.print(
            f"Chưa đến lúc nhắc ({len(r.not_yet)}): "
            + escape(", ".join(f"{u} (hạn {d:%d/%m/%Y})" for u, d in r.not_yet))
        )
    _no_email(con, r.no_email)
    for p in r.problems:
        con.print(f"[yellow]Lưu ý:[/] {escape(p)}")
    sys.exit(r.exit_code)


# --- mail-password ---------------------------------------------------------------------------------
@click.command("mail-password")
@click.option("--user", help="Tài khoản thư; mặc định CCPKH_MAIL_USER, hoặc hỏi.")
def password_cmd(user: str | None) -> None:
    """Lưu mật khẩu thư vào kho mật khẩu của máy (không bao giờ ghi vào sổ).

    Mã 0: đã lưu; 2: máy không có kho mật khẩu (khi đó dùng biến môi trường CCPKH_MAIL_PASSWORD).
    """
    from ccpkh_excel.features.mailing import store_password

    user = user or os.environ.get("CCPKH_MAIL_USER") or click.prompt("Tài khoản thư")
    password = click.prompt(f"Mật khẩu của {user}", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")
    store_password(user, password)
    out().print(f"Đã lưu mật khẩu của {escape(user)} vào kho mật khẩu của máy.")


COMMANDS = (send_cmd, collect_cmd, remind_cmd, password_cmd)


def register(group: click.Group) -> click.Group:
    """Add the e-mail commands to `group` (the `ccpkh-excel` group)."""
    for command in COMMANDS:
        group.add_command(command)
    return group
