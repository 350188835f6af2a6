"""Speed of the e-mail commands on loopback: `send` to N units and `collect` of their N replies.

Real servers, as in tests/test_mail.py: Dovecot (IMAP) and aiosmtpd (SMTP) started in a
temporary folder on free ports, stopped at the end. A synthetic plan of N units (default 120)
and T tasks (default 10), every task led by every unit. Timed: `send_forms` (the forms
generated, N messages over one SMTP connection, the master saved) and `collect_returns` (N
messages read over IMAP, N returns saved and merged in one batch, the master saved once, the
messages flagged). Not timed: building the master, filling the returns, mailing them back.

    python benchmarks/mail_bench.py                 # 120 units
    python benchmarks/mail_bench.py --units 120 300

Goal (the issue): each step under 30 s for 120 units.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

PERIOD = "Quý I/2026"
GOAL = 30.0
OFFICE, PASSWORD = "vanphong@bench.example", "Mk-bench-bí mật!"


def build_master(folder: Path, n_units: int, n_tasks: int) -> Path:
    from ccpkh_excel import write_plan
    from ccpkh_excel.domain.plan import Plan, Task, apply_deadline, number_tasks
    from ccpkh_excel.domain.sample import INFO
    from ccpkh_excel.domain.units import Unit

    units = [
        Unit(f"DV{i:04d}", f"Đơn vị thử nghiệm số {i}", [], ["Tất cả đơn vị"], f"dv{i}@bench.example")
        for i in range(1, n_units + 1)
    ]
    tasks = [
        Task(
            stt=str(k),
            field=f"Lĩnh vực {k % 4 + 1}",
            content=f"Nhiệm vụ thử nghiệm số {k}: triển khai, kiểm tra và báo cáo kết quả",
            lead="Tất cả đơn vị",
            deadline="Quý I/2026",
        )
        for k in range(1, n_tasks + 1)
    ]
    plan = Plan(info=dict(INFO), units=units)
    plan.tasks = number_tasks([apply_deadline(t, 2026)[0] for t in tasks])
    master = folder / "so.xlsx"
    write_plan(plan, master)
    return master


def reply_all(servers, units: list[str], work: Path) -> None:
    """Each unit fills the form it received and mails it back (as its mail program would)."""
    import smtplib

    from returns import fill

    with smtplib.SMTP("127.0.0.1", servers.smtp_port, "localhost", timeout=30) as smtp:
        for address in units:
            msg = servers.messages(address)[0]
            part = next(msg.iter_attachments())
            path = work / f"{address}_{part.get_filename()}"
            path.write_bytes(part.get_content())
            fill(path, {f"NV{k:03d}": ("Đang thực hiện", None, "Đã triển khai", "", "") for k in range(1, 200)})
            reply = EmailMessage()
            reply["From"], reply["To"], reply["Subject"] = address, OFFICE, f"Re: {msg['Subject']}"
            reply["In-Reply-To"] = msg["Message-ID"]
            reply.set_content("Đơn vị gửi lại phiếu báo cáo.")
            reply.add_attachment(
                path.read_bytes(),
                maintype="application",
                subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                filename=part.get_filename(),
            )
            smtp.send_message(reply)


def run(n_units: int, n_tasks: int) -> list[tuple[str, int, float, str]]:
    import os

    from mailservers import MailServers

    from ccpkh_excel.features.mailing import collect_returns, send_forms

    servers = MailServers.start({OFFICE: PASSWORD})
    try:
        os.environ.update(
            {
                "CCPKH_SMTP": f"127.0.0.1:{servers.smtp_port}",
                "CCPKH_IMAP": f"127.0.0.1:{servers.imap_port}",
                "CCPKH_MAIL_USER": OFFICE,
                "CCPKH_MAIL_FROM": OFFICE,
                "CCPKH_MAIL_SECURITY": "none",
                "CCPKH_MAIL_PASSWORD": PASSWORD,
            }
        )
        with tempfile.TemporaryDirectory(prefix="ccpkh-mail-bench-") as tmp:
            work = Path(tmp)
            master = build_master(work, n_units, n_tasks)
            t = time.perf_counter()
            sent = send_forms(master, PERIOD, due=date.today() + timedelta(days=30))
            t_send = time.perf_counter() - t
            assert len(sent.sent) == n_units, sent.failed[:3]
            reply_all(servers, [f"dv{i}@bench.example" for i in range(1, n_units + 1)], work)
            t = time.perf_counter()
            got = collect_returns(master)
            t_collect = time.perf_counter() - t
            merged = sum(1 for f in got.files if f.outcome.startswith("Đã tổng hợp"))
            assert merged == n_units, [(f.name, f.reason) for f in got.files if not f.outcome.startswith("Đã")][:3]
    finally:
        servers.stop()
    rows = []
    for step, seconds in (("send", t_send), ("collect", t_collect)):
        verdict = ("đạt" if seconds < GOAL else "KHÔNG ĐẠT") if n_units <= 120 else "—"
        rows.append((step, n_units, seconds, verdict))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, nargs="+", default=[120])
    ap.add_argument("--tasks", type=int, default=10)
    args = ap.parse_args()
    rows = []
    for n in args.units:
        rows += run(n, args.tasks)
    print(f"| Bước | Thư | Giây | Mục tiêu (< {GOAL:g} s với 120 đơn vị) |")
    print("|---|---:|---:|---|")
    for step, n, seconds, verdict in rows:
        print(f"| {step} | {n} | {seconds:.1f} | {verdict} |")
    if any(v == "KHÔNG ĐẠT" for *_, v in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
