"""E-mail against real servers on loopback: Dovecot (IMAP, passwd-file users, Maildir) and
aiosmtpd (SMTP delivering into the Maildirs), started once for the session (tests/mailservers.py)
and stopped by their pid.

The cycle: send → each unit's mailbox holds exactly its workbook → replies with filled returns,
a tampered one, a stranger's workbook, a file that is no workbook, the same return twice and
mails without a workbook → collect merges exactly the good ones → a second collect changes
nothing → remind reaches exactly the units that have not returned, the công văn attached after
the due date. Then the faults: wrong password, server down, a server that never answers, a
message over the size limit, a dropped session, TLS, and the password found nowhere.

Without Dovecot these tests are skipped — except where CCPKH_REQUIRE_DOVECOT=1 (CI): there a
missing Dovecot fails them.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import time
import zipfile
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Office, set_emails
from mailservers import dovecot_binary, free_port
from openpyxl import Workbook, load_workbook
from returns import fill

from ccpkh_excel.domain.plan import build_assignments
from ccpkh_excel.domain.status import MERGED, MERGED_WARN, REJECTED
from ccpkh_excel.features import mailing
from ccpkh_excel.features.mailing import (
    FLAG,
    MailSettings,
    collect_returns,
    fill_template,
    safe_name,
    send_forms,
    send_reminders,
    split_addresses,
)
from ccpkh_excel.store.master import read_plan, read_records

PERIOD = "Quý I/2026"
REQUIRED = os.environ.get("CCPKH_REQUIRE_DOVECOT") == "1"


# --- the CLI and helpers (the servers and the office: conftest.py's `servers` and `office`) ----------
def _cli():
    """`ccpkh-excel` with the e-mail commands, as cli.py's `register(cli)` makes it (on a copy:
    the group the other tests see is left as it is)."""
    from ccpkh_excel.frontends.cli import Cli, cli
    from ccpkh_excel.frontends.mail_cli import register

    group = Cli(
        name=cli.name,
        params=cli.params,
        callback=cli.callback,
        commands=dict(cli.commands),
        context_settings=cli.context_settings,
    )
    return register(group)


def run(*args):
    return CliRunner().invoke(_cli(), [str(a) for a in args])


def assigned(master: Path) -> list[str]:
    plan = read_plan(master)
    codes = {a.unit for a in build_assignments(plan)}
    return [u.code for u in plan.units if u.code in codes]


def attachments(msg: EmailMessage) -> list[tuple[str, bytes]]:
    return [(a.get_filename(), a.get_content()) for a in msg.iter_attachments()]


def props(data: bytes) -> dict[str, str]:
    from ccpkh_excel.store import xlsxfast

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return xlsxfast.read_custom_props(z)


def mail_to_office(o: Office, sender: str, files: list[tuple[str, bytes]], subject: str, reply_to=None) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, o.address, subject
    if reply_to is not None:
        msg["In-Reply-To"] = reply_to["Message-ID"]
    msg.set_content("Kính gửi Văn phòng,\nĐơn vị gửi lại phiếu báo cáo.\nTrân trọng.")
    for name, data in files:
        main, sub = (
            ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            if name.endswith(".xlsx")
            else ("application", "pdf")
        )
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    o.servers.send(msg)


def office_mailbox(o: Office) -> list[tuple[str, str, set[str]]]:
    """(sender, subject, flags) of every message in the office INBOX, read without marking it seen."""
    from imap_tools import MailBoxUnencrypted

    with MailBoxUnencrypted("127.0.0.1", o.servers.imap_port).login_utf8(o.address, o.password) as box:
        return [(m.from_, m.subject, set(m.flags)) for m in box.fetch(mark_seen=False, headers_only=True)]


def filled(tmp: Path, name: str, data: bytes, code: str) -> bytes:
    path = tmp / f"{code}_{name}"
    path.write_bytes(data)
    wb = load_workbook(path, read_only=True)
    tasks = [r[0] for r in wb["Báo cáo"].iter_rows(min_row=8, max_col=1, values_only=True) if r[0]]
    wb.close()
    tasks = [t for t in tasks if not str(t).upper().startswith("NHIỆM VỤ PHÁT SINH")]
    fill(path, {t: ("Đang thực hiện", None, f"Báo cáo của {code}", "", "") for t in tasks})
    return path.read_bytes()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the cycle -------------------------------------------------------------------------------------
def test_send_collect_remind(office, tmp_path):
    o = office
    due = date.today() + timedelta(days=10)
    codes = assigned(o.master)
    others = [c for c in o.units if c not in codes]

    # send: one message per unit holding exactly its own workbook
    r = run("send", o.master, "--period", PERIOD, "--due", f"{due:%d/%m/%Y}")
    assert r.exit_code == 0, r.output
    assert f"đã gửi {len(codes)}/{len(codes)} thư" in r.output
    forms = {f.name: f for f in (o.master.parent / "phieu_gui" / "Quy_I_2026").glob("*.xlsx")}
    rows = {row.unit: row for row in read_records(o.master).mail if row.action == "Gửi phiếu"}
    assert set(rows) == set(codes)
    sent = {}
    for code in codes:
        inbox = o.inbox(code)
        assert len(inbox) == 1, code
        msg = inbox[0]
        (name, data), *rest = attachments(msg)
        assert rest == [] and data == forms[name].read_bytes()
        assert props(data)["ccpkh_unit"] == code and props(data)["ccpkh_period"] == PERIOD
        assert PERIOD in msg["Subject"] and "Kế hoạch" in msg["Subject"]
        assert f"{due:%d/%m/%Y}" in msg.get_body().get_content() and "trả lời thư này" in msg.get_body().get_content()
        assert msg["Message-ID"] == rows[code].message_id and rows[code].outcome.startswith("Đã gửi")
        assert rows[code].address == o.units[code]
        sent[code] = (msg, name, data)
    for code in others:
        assert o.inbox(code) == []
    returns = {r.unit: r for r in read_records(o.master).returns if r.period == PERIOD}
    assert all(o.units[c] in returns[c].reason for c in codes)  # Theo dõi nộp says when and where

    # sending again sends nothing
    again = run("send", o.master, "--period", PERIOD)
    assert again.exit_code == 0 and "không gửi lại" in again.output
    assert all(len(o.inbox(c)) == 1 for c in codes)

    # the replies
    good, stranger_unit, tampered_unit, junk_unit, quiet_unit = codes[:4], codes[4], codes[5], codes[6], codes[7]
    files = {}
    for code in good + [stranger_unit]:
        msg, name, data = sent[code]
        files[code] = (name, filled(tmp_path, name, data, code))
    for code in good:
        mail_to_office(o, o.units[code], [files[code]], f"Re: {sent[code][0]['Subject']}", sent[code][0])
    mail_to_office(o, o.units[good[0]], [files[good[0]]], "Gửi lại phiếu lần nữa")  # the same return twice
    mail_to_office(o, "chuyenvien.canhan@gmail.example", [files[stranger_unit]], "Phiếu của đơn vị")
    msg, name, data = sent[tampered_unit]
    path = tmp_path / f"sua_{name}"
    path.write_bytes(filled(tmp_path, name, data, tampered_unit))
    wb = load_workbook(path)
    meta = wb["_ccpkh"]
    for row in meta.iter_rows():
        if row[0].value == "unit":
            row[1].value = good[1]  # passes itself off as another unit
    wb.save(path)
    mail_to_office(o, o.units[tampered_unit], [(name, path.read_bytes())], "Phiếu")
    foreign = Workbook()
    foreign.active["A1"] = "Báo cáo tự làm"
    buf = io.BytesIO()
    foreign.save(buf)
    mail_to_office(o, "nguoila@khac.example", [("bao_cao.xlsx", buf.getvalue())], "Báo cáo")
    mail_to_office(o, o.units[junk_unit], [("phieu.xlsx", b"day khong phai tep excel")], "Phiếu")
    mail_to_office(o, o.units[quiet_unit], [], "Xin gia hạn nộp phiếu")
    mail_to_office(o, o.units[quiet_unit], [("cong_van.pdf", b"%PDF-1.4 ...")], "Công văn")

    # collect: exactly the good ones merged, every workbook with a recorded outcome
    c = run("collect", o.master, "--reply")
    assert c.exit_code == 1, c.output  # some returns rejected
    records = read_records(o.master)
    merged = {r.unit for r in records.returns if r.period == PERIOD and r.outcome in (MERGED, MERGED_WARN)}
    assert merged == set(good) | {stranger_unit}
    assert {r.unit for r in records.summary} == merged
    got = [r for r in records.mail if r.action == "Nhận phiếu"]
    assert len(got) == 9
    by_sender = {}
    for row in got:
        by_sender.setdefault(row.address, []).append(row.outcome)
    assert sorted(by_sender[o.units[good[0]]])[0].startswith("Trùng")
    assert any(x.startswith(MERGED) for x in by_sender[o.units[good[0]]])
    assert (
        by_sender[o.units[tampered_unit]][0].startswith(REJECTED) and "chữ ký" in by_sender[o.units[tampered_unit]][0]
    )
    assert (
        by_sender["nguoila@khac.example"][0].startswith(REJECTED)
        and "người gửi lạ" in by_sender["nguoila@khac.example"][0]
    )
    assert "không phải tệp Excel" in by_sender[o.units[junk_unit]][0]
    assert by_sender["chuyenvien.canhan@gmail.example"][0].startswith(MERGED)
    assert "người gửi lạ" in by_sender["chuyenvien.canhan@gmail.example"][0]
    assert all(Path(o.master.parent / row.file).is_file() for row in got)
    assert all(row.file.startswith("phieu_nhan_thu/") for row in got)
    for sender, subject, flags in office_mailbox(o):
        if sender == o.units[quiet_unit]:
            assert FLAG not in flags and "\\Seen" not in flags, subject  # left untouched
        else:
            assert FLAG in flags, subject
    assert "người gửi lạ" in c.output and "Trùng" in c.output
    # each sender heard what became of its mail
    answer = o.servers.messages(o.units[good[1]])[-1]
    assert answer["In-Reply-To"] and "đã tổng hợp" in answer.get_body().get_content()
    answer = o.servers.messages(o.units[tampered_unit])[-1]
    assert "bị từ chối" in answer.get_body().get_content()
    assert len(o.servers.messages("nguoila@khac.example")) == 1
    assert o.servers.messages(o.units[quiet_unit])[-1]["Subject"] == sent[quiet_unit][0]["Subject"]  # no reply

    # a second collect changes nothing
    before = digest(o.master)
    c2 = collect_returns(o.master)
    assert c2.exit_code == 0 and c2.merge is None and c2.messages == [] and len(c2.untouched) == 2
    assert digest(o.master) == before

    # remind before the return date: a reminder to exactly the units that have not returned
    waiting = [c for c in codes if c not in merged]
    counts = {c: len(o.inbox(c)) for c in codes}
    r1 = run("remind", o.master, "--period", PERIOD, "--as-of", f"{due - timedelta(days=2):%d/%m/%Y}", "--no-pdf")
    assert r1.exit_code == 0, r1.output
    for code in codes:
        inbox = o.inbox(code)
        assert len(inbox) == counts[code] + (code in waiting), code
        if code in waiting:
            assert "Nhắc hạn" in inbox[-1]["Subject"] and attachments(inbox[-1]) == []
            assert inbox[-1]["In-Reply-To"] == sent[code][0]["Message-ID"]
    r2 = run("remind", o.master, "--period", PERIOD, "--as-of", f"{due - timedelta(days=2):%d/%m/%Y}", "--no-pdf")
    assert r2.exit_code == 0 and "Đã nhắc hôm nay" in r2.output
    assert all(len(o.inbox(c)) == counts[c] + (c in waiting) for c in codes)

    # after the return date: the công văn đôn đốc attached, to the same units only
    after = send_reminders(o.master, PERIOD, as_of=due + timedelta(days=1), pdf=False)
    assert after.exit_code == 0 and sorted(d.unit for d in after.sent) == sorted(waiting)
    names = {u.code: u.name for u in read_plan(o.master).units}
    for code in codes:
        inbox = o.inbox(code)
        assert len(inbox) == counts[code] + 2 * (code in waiting), code
        if code in waiting:
            (name, data), *rest = attachments(inbox[-1])
            assert rest == [] and name.endswith(".docx") and "Đôn đốc" in inbox[-1]["Subject"]
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                assert names[code] in z.read("word/document.xml").decode("utf-8")
    again = send_reminders(o.master, PERIOD, as_of=due + timedelta(days=1), pdf=False)
    assert again.sent == [] and sorted(again.already) == sorted(waiting)
    actions = [r.action for r in read_records(o.master).mail]
    assert actions.count("Nhắc hạn") == len(waiting) and actions.count("Đôn đốc") == len(waiting)
    assert actions.count("Trả lời") == 9  # one answer per processed message
    log = [r.action for r in read_records(o.master).log]
    assert {"Gửi phiếu qua thư", "Nhận phiếu qua thư", "Tổng hợp", "Nhắc hạn"} <= set(log)


@pytest.mark.libreoffice
def test_urge_attaches_pdf_with_libreoffice(office):
    due = date.today() - timedelta(days=1)
    assert send_forms(office.master, PERIOD, units=["SNV"], due=due).exit_code == 0
    r = send_reminders(office.master, PERIOD, pdf=True)
    assert [d.unit for d in r.sent] == ["SNV"] and r.problems == []
    names = sorted(n for n, _ in attachments(office.inbox("SNV")[-1]))
    assert [Path(n).suffix for n in names] == [".docx", ".pdf"]


# --- faults -------------------------------------------------------------------------------------------
def test_wrong_password_runs_nothing(office, monkeypatch):
    before = digest(office.master)
    monkeypatch.setenv("CCPKH_MAIL_PASSWORD", "sai-mat-khau")
    for args in (("send", office.master, "--period", PERIOD), ("collect", office.master)):
        r = run(*args)
        assert r.exit_code == 2, r.output
        assert "từ chối đăng nhập" in r.stderr and "sai tài khoản hoặc mật khẩu" in r.stderr
        assert "sai-mat-khau" not in r.output
    assert digest(office.master) == before
    assert not (office.master.parent / "phieu_gui").exists()
    assert all(office.inbox(c) == [] for c in office.units)


def test_server_down(office, monkeypatch):
    before = digest(office.master)
    monkeypatch.setenv("CCPKH_SMTP", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("CCPKH_IMAP", f"127.0.0.1:{free_port()}")
    r = run("send", office.master, "--period", PERIOD)
    assert r.exit_code == 2 and "Không kết nối được máy chủ gửi thư" in r.stderr, r.output
    r = run("collect", office.master)
    assert r.exit_code == 2 and "Không kết nối được máy chủ nhận thư" in r.stderr, r.output
    r = run("remind", office.master, "--period", PERIOD)  # nothing sent yet: nobody to remind, no server needed
    assert r.exit_code == 0
    assert digest(office.master) == before


def test_a_server_that_never_answers(office, monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections are accepted by the kernel, and nothing is ever said
    port = silent.getsockname()[1]
    try:
        monkeypatch.setenv("CCPKH_MAIL_TIMEOUT", "1")
        monkeypatch.setenv("CCPKH_SMTP", f"127.0.0.1:{port}")
        monkeypatch.setenv("CCPKH_IMAP", f"127.0.0.1:{port}")
        for args, what in (
            (("send", office.master, "--period", PERIOD), "gửi"),
            (("collect", office.master), "nhận"),
        ):
            start = time.monotonic()
            r = run(*args)
            assert time.monotonic() - start < 10
            assert r.exit_code == 2 and f"Máy chủ {what} thư 127.0.0.1:{port} không trả lời sau 1 giây" in r.stderr
    finally:
        silent.close()
    assert read_records(office.master).mail == []


def test_size_limit_then_a_dropped_session(office, monkeypatch):
    codes = assigned(office.master)
    monkeypatch.setenv("CCPKH_SMTP", f"127.0.0.1:{office.servers.small_port}")
    r = run("send", office.master, "--period", PERIOD)
    assert r.exit_code == 1, r.output
    assert "quá giới hạn" in r.output and "đã gửi 0/" in r.output
    rows = read_records(office.master).mail
    assert len(rows) == len(codes) and all(r.outcome.startswith("Không gửi được") for r in rows)
    assert all(office.inbox(c) == [] for c in codes)
    # the right server, and one unit whose session the server closes (421) the first time
    flaky = codes[2]
    office.units[flaky] = f"ngat.{office.units[flaky]}"
    set_emails(office.master, office.units)
    monkeypatch.setenv("CCPKH_SMTP", f"127.0.0.1:{office.servers.smtp_port}")
    res = send_forms(office.master, PERIOD)
    assert res.exit_code == 0 and len(res.sent) == len(codes)  # the failed ones were not "sent": sent now
    assert all(len(office.inbox(c)) == 1 for c in codes)


def test_mail_sent_but_the_master_full_is_listed_beside_it(office, monkeypatch):
    """The messages are gone when the last save fails (disk full): the run says so, lists
    them in a CSV beside the master and leaves the master as it was before the mail."""
    import errno

    from ccpkh_excel.store import files

    sent, real_send, real_replace = [], mailing._send_all, files.replace_atomically

    def send_all(*args, **kwargs):
        real_send(*args, **kwargs)
        sent.append(True)

    def replace(source, target):
        if sent:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        return real_replace(source, target)

    monkeypatch.setattr(mailing, "_send_all", send_all)
    monkeypatch.setattr(files, "replace_atomically", replace)
    before = read_records(office.master).mail
    r = run("send", office.master, "--period", PERIOD, "--unit", "SNV", "--unit", "STP")
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert "đã gửi 2 thư nhưng không ghi được vào sổ" in text and "Đừng gửi lại" in text, text
    assert all(len(office.inbox(c)) == 1 for c in ("SNV", "STP"))
    assert read_records(office.master).mail == before
    (journal,) = office.master.parent.glob("thu_da_gui_chua_ghi_so_*.csv")
    assert journal.name in text
    lines = journal.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Thời điểm,Mã đơn vị,Kỳ báo cáo,Việc")
    assert sorted(line.split(",")[1] for line in lines[1:]) == ["SNV", "STP"]
    assert all("@" in line and "Đã gửi" in line for line in lines[1:])


def test_dry_runs_send_and_mark_nothing(office, tmp_path):
    r = run("send", office.master, "--period", PERIOD, "--dry-run")
    assert r.exit_code == 0 and "Chạy thử" in r.output
    assert not (office.master.parent / "phieu_gui").exists()
    assert send_forms(office.master, PERIOD, units=["SNV", "STP"], due=date.today() + timedelta(days=30)).exit_code == 0
    msg = office.inbox("SNV")[0]
    ((name, data),) = attachments(msg)
    mail_to_office(office, office.units["SNV"], [(name, filled(tmp_path, name, data, "SNV"))], "Re: phiếu")
    before = digest(office.master)
    dry = collect_returns(office.master, dry_run=True)
    assert [f.outcome for f in dry.files] == [MERGED] and digest(office.master) == before
    assert all(FLAG not in flags for _, _, flags in office_mailbox(office))
    done = collect_returns(office.master, period="Quý II/2026")  # another period: left for later
    assert done.messages == [] and digest(office.master) == before
    assert collect_returns(office.master, period=PERIOD).exit_code == 0
    assert [r.unit for r in read_records(office.master).returns if r.outcome == MERGED] == ["SNV"]


def test_a_crash_between_saving_and_marking_merges_nothing_twice(office, tmp_path, monkeypatch):
    assert send_forms(office.master, PERIOD, units=["SNV", "STP"], due=date.today() + timedelta(days=30)).exit_code == 0
    for code in ("SNV", "STP"):
        ((name, data),) = attachments(office.inbox(code)[0])
        mail_to_office(office, office.units[code], [(name, filled(tmp_path, name, data, code))], "Re: phiếu")
    real = mailing._Imap.mark
    monkeypatch.setattr(mailing._Imap, "mark", lambda self, uids: "máy chủ nhận thư ngắt kết nối (thử)")
    first = collect_returns(office.master)
    assert first.exit_code == 1 and "chưa đánh dấu được 2 thư" in first.problems[0]
    assert all(FLAG not in flags for _, _, flags in office_mailbox(office))
    merged = read_records(office.master)
    monkeypatch.setattr(mailing._Imap, "mark", real)
    before = digest(office.master)
    second = collect_returns(office.master)
    assert second.exit_code == 0 and second.merge is None and len(second.earlier) == 2
    assert digest(office.master) == before and read_records(office.master).summary == merged.summary
    assert all(FLAG in flags for _, _, flags in office_mailbox(office))
    assert collect_returns(office.master).earlier == []


def test_starttls_and_a_certificate_not_trusted(office, monkeypatch):
    if office.servers.cert is None:
        pytest.skip("no certificate (the cryptography package is missing)")
    monkeypatch.setenv("CCPKH_MAIL_SECURITY", "starttls")
    r = run("send", office.master, "--period", PERIOD, "--unit", "SNV")
    assert r.exit_code == 2 and "Chứng chỉ bảo mật" in r.stderr, r.output
    monkeypatch.setenv("SSL_CERT_FILE", str(office.servers.cert))  # the office's own authority
    r = run("send", office.master, "--period", PERIOD, "--unit", "SNV")
    assert r.exit_code == 0, r.output
    assert collect_returns(office.master).exit_code == 0
    monkeypatch.setenv("CCPKH_MAIL_SECURITY", "ssl")
    monkeypatch.setenv("CCPKH_IMAP", f"127.0.0.1:{office.servers.imaps_port}")
    assert collect_returns(office.master).messages == []  # implicit TLS on the imaps port


class MemoryKeyring:
    """A keyring backend in memory (the CI machine has no desktop keyring)."""

    def __init__(self):
        import keyring.backend

        class Backend(keyring.backend.KeyringBackend):
            priority = 1
            store: dict = {}

            def get_password(self, service, username):
                return self.store.get((service, username))

            def set_password(self, service, username, password):
                self.store[(service, username)] = password

            def delete_password(self, service, username):
                self.store.pop((service, username), None)

        self.backend = Backend()


def test_the_password_is_kept_in_the_keyring_and_found_nowhere(office, monkeypatch, tmp_path):
    import keyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring().backend)
    try:
        monkeypatch.delenv("CCPKH_MAIL_PASSWORD")
        r = run("send", office.master, "--period", PERIOD, "--unit", "SNV")
        assert r.exit_code == 2 and "Chưa có mật khẩu thư" in r.stderr and "mail-password" in r.stderr
        r = CliRunner().invoke(
            _cli(), ["mail-password"], input=f"{office.password}\n{office.password}\n", catch_exceptions=False
        )
        assert r.exit_code == 0 and "Đã lưu mật khẩu" in r.output
        assert keyring.get_password("ccpkh-excel", office.address) == office.password
        outputs = [r.output]
        due = date.today() - timedelta(days=1)
        for args in (
            ("send", office.master, "--period", PERIOD, "--due", f"{due:%d/%m/%Y}"),
            ("collect", office.master, "--reply"),
            ("remind", office.master, "--period", PERIOD, "--no-pdf"),
        ):
            res = run(*args)
            assert res.exit_code == 0, res.output
            outputs.append(res.output)
        msg = office.inbox("SNV")[0]
        ((name, data),) = attachments(msg)
        mail_to_office(office, office.units["SNV"], [(name, filled(tmp_path, name, data, "SNV"))], "Re")
        outputs.append(run("collect", office.master, "--reply").output)
    finally:
        keyring.set_keyring(previous)
    secret = office.password.encode("utf-8")
    blobs = [o.encode("utf-8") for o in outputs[1:]] + [office.servers.all_bytes()]
    for book in [office.master, *(office.master.parent / "sao_luu").glob("*")]:
        with zipfile.ZipFile(book) as z:
            blobs += [z.read(n) for n in z.namelist()]
    for f in office.master.parent.rglob("*"):
        if f.is_file() and f.suffix not in (".xlsx",):
            blobs.append(f.read_bytes())
    assert len(read_records(office.master).mail) > 2
    assert not [b for b in blobs if secret in b or office.password.encode("utf-16-le") in b]


# --- without servers ------------------------------------------------------------------------------
def test_settings_from_the_master_and_the_environment(sample_master_copy):
    wb = load_workbook(sample_master_copy)
    ws = wb["Cài đặt thư"]
    values = {
        "Máy chủ gửi thư (SMTP)": "mail.thainguyen.gov.vn",
        "Cổng SMTP": 465,
        "Máy chủ nhận thư (IMAP)": "imap.thainguyen.gov.vn",
        "Bảo mật (ssl/starttls/none)": "ssl",
        "Tài khoản thư": "cchc@thainguyen.gov.vn",
        "Thư mục nhận (IMAP)": "Phiếu về",
        "Tiêu đề thư gửi phiếu": "Phiếu {ky} gửi {don_vi}",
    }
    for row in ws.iter_rows(min_row=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
    wb.save(sample_master_copy)
    s = MailSettings.from_master(sample_master_copy, env={})
    assert (s.smtp_host, s.smtp_port, s.imap_host, s.imap_port) == (
        "mail.thainguyen.gov.vn",
        465,
        "imap.thainguyen.gov.vn",
        993,
    )
    assert s.security == "ssl" and s.sender == s.user == "cchc@thainguyen.gov.vn" and s.folder == "Phiếu về"
    assert s.texts["Tiêu đề thư gửi phiếu"] == "Phiếu {ky} gửi {don_vi}"
    assert s.organization == "Ủy ban nhân dân tỉnh Thái Nguyên"
    env = {
        "CCPKH_SMTP": "127.0.0.1:2525",
        "CCPKH_IMAP": "[::1]:1143",
        "CCPKH_MAIL_USER": "u@x.example",
        "CCPKH_MAIL_FROM": "from@x.example",
        "CCPKH_MAIL_SECURITY": "STARTTLS",
        "CCPKH_MAIL_PASSWORD": "pw",
    }
    s = MailSettings.from_master(sample_master_copy, env=env)
    assert (s.smtp_host, s.smtp_port, s.imap_host, s.imap_port) == ("127.0.0.1", 2525, "::1", 1143)
    assert (s.user, s.sender, s.security, s.password_source) == (
        "u@x.example",
        "from@x.example",
        "starttls",
        "CCPKH_MAIL_PASSWORD",
    )
    assert "pw" not in repr(s)
    assert s.mode("smtp") == "starttls" and MailSettings(security="starttls", imap_port=993).mode("imap") == "ssl"
    with pytest.raises(mailing.MailError, match="ssl, starttls hoặc none"):
        MailSettings.from_master(sample_master_copy, env={"CCPKH_MAIL_SECURITY": "tls13"})
    with pytest.raises(mailing.MailError, match="CCPKH_SMTP"):
        MailSettings.from_master(sample_master_copy, env={"CCPKH_SMTP": "a b:c"})


def test_attachment_names_are_made_safe():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\Windows\\win.ini") == "win.ini"
    assert safe_name("a\x00b\r\nc.xlsx") == "abc.xlsx"
    assert safe_name("..") == "tep_dinh_kem.xlsx" and safe_name(None) == "tep_dinh_kem.xlsx"
    long = safe_name("Phiếu " * 50 + ".xlsx")
    assert len(long) <= 100 and long.endswith(".xlsx")
    assert safe_name('báo<cáo>:"quý".xlsx') == "báo cáo quý.xlsx"


def test_addresses_and_templates():
    assert split_addresses("a@x.vn; Sở Nội vụ <b@x.vn>, a@x.vn\nkhong-phai-email") == (
        ["a@x.vn", "b@x.vn"],
        ["khong-phai-email"],
    )
    assert split_addresses("") == ([], [])
    text = fill_template("Kính gửi {don_vi} – {ky} {la} {don_vi.__class__}", {"don_vi": "Sở Y tế", "ky": PERIOD})
    assert text == "Kính gửi Sở Y tế – Quý I/2026 {la} {don_vi.__class__}"


def test_missing_dovecot_fails_where_ci_requires_it():
    """The rule above: CI (CCPKH_REQUIRE_DOVECOT=1) must have Dovecot; elsewhere it may be missing."""
    if REQUIRED:
        assert dovecot_binary(), "CCPKH_REQUIRE_DOVECOT=1 but Dovecot is not installed"
