"""The e-mail options test_mail.py's cycle does not try, against the same real servers on
loopback (conftest.py's session-wide `servers` and its `office`):

send --resend (and the return date of a form sent again), send --out, remind --days-before,
remind --dry-run, the units without an e-mail address that send lists, several addresses in
one unit's Email cell, the subject and body templates the clerk edits in 'Cài đặt thư', and
collect from a folder other than INBOX ('Thư mục nhận (IMAP)', with 'Thư mục lưu thư đã xử
lý'; the folder is set in the master only: no environment variable or option sets it).

Each test looks at what the mailboxes really hold, at the master's records (Thư điện tử,
Theo dõi nộp, Nhật ký) and, for the command-line options, at the exit code.
"""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

from conftest import Office, set_emails
from test_mail import PERIOD, attachments, digest, filled, props, run

from ccpkh_excel.domain import times
from ccpkh_excel.domain.status import MERGED, SENT
from ccpkh_excel.features.mailing import (
    FLAG,
    L_BODY,
    L_DONE_FOLDER,
    L_FOLDER,
    L_REMIND_BODY,
    L_REMIND_SUBJECT,
    L_SUBJECT,
    L_URGE_SUBJECT,
    RECEIVE,
    REMIND,
    SEND,
    URGE,
    send_forms,
)
from ccpkh_excel.store.master import Master, read_plan, read_records
from ccpkh_excel.store.schema import SETTINGS


def said(result) -> str:
    """What a command printed, as one line (its lines and lists joined by single spaces)."""
    return " ".join((result.output or "").split())


def rows(master: Path, action: str, unit: str | None = None) -> list:
    return [r for r in read_records(master).mail if r.action == action and (unit is None or r.unit == unit)]


def logged(master: Path, action: str) -> list:
    return [r for r in read_records(master).log if r.action == action]


def returns_row(master: Path, unit: str):
    (row,) = [r for r in read_records(master).returns if r.unit == unit and r.period == PERIOD]
    return row


def set_settings(master: Path, values: dict[str, str]) -> None:
    """'Cài đặt thư' as the clerk edits it: values changed in place, new labels added below."""
    with Master.open(master) as m:
        table = m.sheet(SETTINGS)
        found = {r.label for r in table}
        table = [r._replace(value=values[r.label]) if r.label in values else r for r in table]
        table += [SETTINGS.row(label, value) for label, value in values.items() if label not in found]
        m.save(sheets={SETTINGS: table})


def day(d: date) -> str:
    return f"{d:%d/%m/%Y}"


def send_to(o: Office, due: date, *codes: str) -> dict[str, EmailMessage]:
    r = run("send", o.master, "--period", PERIOD, "--due", day(due), *[x for c in codes for x in ("--unit", c)])
    assert r.exit_code == 0, r.output
    return {c: o.inbox(c)[-1] for c in codes}


# --- send ----------------------------------------------------------------------------------------
def test_send_again_sends_nothing_unless_resend(office):
    o = office
    first = send_to(o, date.today() + timedelta(days=20), "SNV", "STP")
    assert len(rows(o.master, SEND)) == 2 and len(logged(o.master, "Gửi phiếu qua thư")) == 1

    again = run("send", o.master, "--period", PERIOD, "--unit", "SNV", "--unit", "STP")
    assert again.exit_code == 0, again.output
    assert "không có thư nào cần gửi" in said(again)
    assert "không gửi lại (2): SNV, STP (dùng --resend để gửi lại)" in said(again)
    assert [len(o.inbox(c)) for c in ("SNV", "STP")] == [1, 1]
    assert len(rows(o.master, SEND)) == 2 and len(logged(o.master, "Gửi phiếu qua thư")) == 1

    r = run("send", o.master, "--period", PERIOD, "--unit", "SNV", "--resend")
    assert r.exit_code == 0, r.output
    assert "đã gửi 1/1 thư" in said(r) and "không gửi lại" not in said(r)
    assert len(o.inbox("STP")) == 1
    old, new = o.inbox("SNV")
    assert old["Message-ID"] == first["SNV"]["Message-ID"] != new["Message-ID"]
    ((name, data),) = attachments(new)
    assert props(data)["ccpkh_unit"] == "SNV" and props(data)["ccpkh_period"] == PERIOD
    assert new["Subject"] == old["Subject"]
    sent = rows(o.master, SEND, "SNV")
    assert [x.message_id for x in sent] == [old["Message-ID"], new["Message-ID"]]
    assert all(x.outcome.startswith("Đã gửi") and x.address == o.units["SNV"] for x in sent)
    assert len(logged(o.master, "Gửi phiếu qua thư")) == 2
    snv = returns_row(o.master, "SNV")  # Theo dõi nộp: still one row, waiting, saying it was mailed
    assert snv.outcome == SENT and o.units["SNV"] in snv.reason and snv.file == name


def test_sent_again_with_another_due_date_remind_counts_from_it(office):
    """The clerk sends, sees the wrong return date and sends again at once with --resend --due:
    the later sending's date is the unit's, even within the same second."""
    o = office
    at = times.now()
    wrong, right = date.today() + timedelta(days=30), date.today() + timedelta(days=1)
    assert send_forms(o.master, PERIOD, units=["SNV"], due=wrong, now=at).exit_code == 0
    again = send_forms(o.master, PERIOD, units=["SNV"], due=right, resend=True, now=at)
    assert again.exit_code == 0 and [d.due for d in again.sent] == [right]
    assert f"trước ngày {day(right)}" in o.inbox("SNV")[-1].get_body().get_content()
    assert returns_row(o.master, "SNV").reason.startswith(f"Hạn gửi lại {day(right)}")
    r = run("remind", o.master, "--period", PERIOD, "--dry-run")
    assert r.exit_code == 0 and f"(nhắc hạn; hạn {day(right)})" in said(r), r.output
    later = send_forms(o.master, PERIOD, units=["STP"], now=at)  # no --due: the latest one sent
    assert [d.due for d in later.sent] == [right]


def test_send_out_writes_the_forms_where_asked(office, tmp_path):
    o = office
    out = tmp_path / "phieu rieng" / "quy 1"
    r = run("send", o.master, "--period", PERIOD, "--unit", "SNV", "--unit", "STP", "--out", out)
    assert r.exit_code == 0, r.output
    assert f"Phiếu trong thư mục {out}" in said(r)
    assert not (o.master.parent / "phieu_gui").exists()
    written = {f.name: f.read_bytes() for f in out.glob("*.xlsx")}
    assert len(written) == 2 and (out / "danh_sach_gui_Quy_I_2026.csv").is_file()
    for code in ("SNV", "STP"):
        ((name, data),) = attachments(o.inbox(code)[0])
        assert written[name] == data and props(data)["ccpkh_unit"] == code
        (row,) = rows(o.master, SEND, code)
        assert row.file == f"phieu rieng/quy 1/{name}"  # where it is, from the master's folder
        assert (o.master.parent / row.file).is_file()
        assert returns_row(o.master, code).file == name


def test_units_without_email_are_listed(office):
    o = office
    emails = dict(o.units)
    emails["SNV"] = ""  # none
    emails["STP"] = "khong-phai-dia-chi"  # not an address
    emails["SYT"] = f"{o.units['SYT']}; sai@@dia-chi"  # one good, one bad: sent to the good one, listed
    set_emails(o.master, emails)
    r = run("send", o.master, "--period", PERIOD, *[x for c in ("SNV", "STP", "SYT", "STC") for x in ("--unit", c)])
    assert r.exit_code == 1, r.output  # a unit without e-mail is a problem to fix
    text = said(r)
    assert "đã gửi 2/2 thư" in text
    assert "Đơn vị chưa có email hoặc email sai (3): sửa cột Email ở sheet Đơn vị." in text
    names = {u.code: u.name for u in read_plan(o.master).units}
    assert f"- SNV – {names['SNV']} - STP" in text
    assert f"- STP – {names['STP']}: 'khong-phai-dia-chi'" in text
    assert f"- SYT – {names['SYT']}: '{emails['SYT']}'" in text
    assert "STC" not in text.split("Đơn vị chưa có email")[1]
    assert o.inbox("SNV") == [] and o.inbox("STP") == []
    assert [len(o.inbox(c)) for c in ("SYT", "STC")] == [1, 1]
    assert {x.unit for x in rows(o.master, SEND)} == {"SYT", "STC"}
    assert rows(o.master, SEND, "SYT")[0].address == o.units["SYT"]
    returns = {x.unit for x in read_records(o.master).returns if x.period == PERIOD}
    assert returns == {"SYT", "STC"}  # no form made for a unit that cannot be mailed it


def test_several_addresses_each_get_the_message(office, tmp_path):
    o = office
    tag = o.address.split("@")[1]
    first, second, third = (f"{x}@{tag}" for x in ("giamdoc.snv", "vanthu.snv", "chuyenvien.snv"))
    emails = dict(o.units)
    # as clerks write them: ";" or "," or lines between, a name (with a comma, quoted, as Outlook
    # copies it) before an address, the same address twice in other letters
    emails["SNV"] = f'{first}; "Văn thư, Sở Nội vụ" <{second}> ,\n{third}; {first.upper()};'
    set_emails(o.master, emails)
    due = date.today() + timedelta(days=2)
    r = run("send", o.master, "--period", PERIOD, "--unit", "SNV", "--due", day(due))
    assert r.exit_code == 0 and "đã gửi 1/1 thư" in said(r), r.output
    assert "chưa có email" not in said(r)
    got = [o.servers.messages(a) for a in (first, second, third)]
    assert [len(x) for x in got] == [1, 1, 1]
    ids = {x[0]["Message-ID"] for x in got}
    assert len(ids) == 1  # one message, to three addresses
    msg = got[0][0]
    assert [a.addr_spec for a in msg["To"].addresses] == [first, second, third]
    ((name, data),) = attachments(msg)
    assert props(data)["ccpkh_unit"] == "SNV"
    (row,) = rows(o.master, SEND, "SNV")
    assert row.address == f"{first}; {second}; {third}" and row.message_id in ids
    assert all(a in returns_row(o.master, "SNV").reason for a in (first, second, third))

    # a reply from any of them is the unit's own (not a stranger's), and remind reaches all three
    path = tmp_path / name
    path.write_bytes(filled(tmp_path, name, data, "SNV"))
    msg_back = EmailMessage()
    msg_back["From"], msg_back["To"], msg_back["Subject"] = second, o.address, f"Re: {msg['Subject']}"
    msg_back.set_content("Gửi lại phiếu.")
    msg_back.add_attachment(path.read_bytes(), maintype="application", subtype="octet-stream", filename=name)
    o.servers.send(msg_back)
    c = run("collect", o.master)
    assert c.exit_code == 0, c.output
    (got_row,) = rows(o.master, RECEIVE)
    assert got_row.outcome == MERGED and got_row.unit == "SNV" and "người gửi lạ" not in got_row.outcome
    assert returns_row(o.master, "SNV").outcome == MERGED
    emails["STP"] = f"{o.units['STP']};{o.units['STP'].replace('stp@', 'stp.2@')}"
    set_emails(o.master, emails)
    send_to(o, due, "STP")
    rm = run("remind", o.master, "--period", PERIOD, "--no-pdf")
    assert rm.exit_code == 0, rm.output
    stp = [o.servers.messages(a) for a in emails["STP"].split(";")]
    assert [len(x) for x in stp] == [2, 2] and stp[0][-1]["Message-ID"] == stp[1][-1]["Message-ID"]
    assert "Nhắc hạn" in stp[0][-1]["Subject"]
    assert [len(x) for x in (o.servers.messages(a) for a in (first, second, third))] == [1, 1, 1]  # returned
    (reminded,) = rows(o.master, REMIND)
    assert reminded.unit == "STP" and reminded.address == emails["STP"].replace(";", "; ")


def test_templates_edited_in_the_master_are_used(office):
    o = office
    set_settings(
        o.master,
        {
            L_SUBJECT: "[{ma_don_vi}] Phiếu {ky} gửi {don_vi}",
            L_BODY: "Kính gửi {don_vi},\nPhiếu {ky}, hạn {han}.\nMẫu lạ: {khong_co} {han.__class__}\nVăn phòng {co_quan}",
            L_REMIND_SUBJECT: "NHẮC {ma_don_vi}: {ky}",
            L_REMIND_BODY: "Sắp đến hạn {han}, {don_vi} chưa gửi phiếu.",
            L_URGE_SUBJECT: "ĐÔN ĐỐC {ma_don_vi} – quá hạn {han}",  # a row the sheet does not have: added
        },
    )
    names = {u.code: u.name for u in read_plan(o.master).units}
    organization = read_plan(o.master).info["Cơ quan ban hành"]
    soon, past = date.today() + timedelta(days=1), date.today() - timedelta(days=1)
    send_to(o, soon, "SNV")
    send_to(o, past, "STP")
    for code, due in (("SNV", soon), ("STP", past)):
        (msg,) = o.inbox(code)
        assert msg["Subject"] == f"[{code}] Phiếu {PERIOD} gửi {names[code]}"
        body = msg.get_body().get_content()
        assert body.splitlines()[:4] == [
            f"Kính gửi {names[code]},",
            f"Phiếu {PERIOD}, hạn {day(due)}.",
            "Mẫu lạ: {khong_co} {han.__class__}",
            f"Văn phòng {organization}",
        ]
        assert "trả lời thư này" not in body  # the default text is gone
    r = run("remind", o.master, "--period", PERIOD, "--no-pdf")
    assert r.exit_code == 0, r.output
    snv, stp = o.inbox("SNV")[-1], o.inbox("STP")[-1]
    assert snv["Subject"] == f"NHẮC SNV: {PERIOD}"
    assert snv.get_body().get_content().strip() == f"Sắp đến hạn {day(soon)}, {names['SNV']} chưa gửi phiếu."
    assert stp["Subject"] == f"ĐÔN ĐỐC STP – quá hạn {day(past)}"
    assert "Đã quá hạn gửi lại phiếu báo cáo" in stp.get_body().get_content()  # its body: the default
    assert [x.action for x in read_records(o.master).mail if x.action != SEND] == [REMIND, URGE]


# --- remind --------------------------------------------------------------------------------------
def test_remind_days_before(office):
    o = office
    due = date.today() + timedelta(days=10)
    send_to(o, due, "SNV", "STP")
    before = digest(o.master)

    r = run("remind", o.master, "--period", PERIOD, "--as-of", day(due - timedelta(days=4)))  # default: 3
    assert r.exit_code == 0, r.output
    assert f"Chưa đến lúc nhắc (2): SNV (hạn {day(due)}), STP (hạn {day(due)})" in said(r)
    assert "đã gửi 0 thư nhắc hạn" in said(r)
    r = run("remind", o.master, "--period", PERIOD, "--as-of", day(due - timedelta(days=6)), "--days-before", "5")
    assert r.exit_code == 0 and "Chưa đến lúc nhắc (2)" in said(r), r.output
    assert [len(o.inbox(c)) for c in ("SNV", "STP")] == [1, 1]
    assert digest(o.master) == before  # nothing sent: nothing recorded

    r = run("remind", o.master, "--period", PERIOD, "--as-of", day(due - timedelta(days=5)), "--days-before", "5")
    assert r.exit_code == 0, r.output
    assert "đã gửi 2 thư nhắc hạn và 0 thư đôn đốc" in said(r) and "Chưa đến lúc" not in said(r)
    for code in ("SNV", "STP"):
        first, reminder = o.inbox(code)
        assert "Nhắc hạn" in reminder["Subject"] and attachments(reminder) == []
        assert reminder["In-Reply-To"] == first["Message-ID"]
        (row,) = rows(o.master, REMIND, code)
        assert row.message_id == reminder["Message-ID"]
        assert f"tính đến {day(due - timedelta(days=5))}; hạn gửi lại {day(due)}" in row.outcome
    (entry,) = logged(o.master, REMIND)
    assert "2 thư nhắc hạn, 0 thư đôn đốc" in entry.outcome

    r = run("remind", o.master, "--period", PERIOD, "--days-before", "-1")
    assert r.exit_code == 2 and "--days-before" in r.output  # refused by the option itself
    r = run("remind", o.master, "--period", PERIOD, "--days-before", "ba")
    assert r.exit_code == 2 and "--days-before" in r.output


def test_remind_dry_run_sends_and_records_nothing(office):
    o = office
    late, soon = date.today() - timedelta(days=2), date.today() + timedelta(days=1)
    send_to(o, late, "SNV")
    send_to(o, soon, "STP")
    before = digest(o.master)
    names = {u.code: u.name for u in read_plan(o.master).units}

    r = run("remind", o.master, "--period", PERIOD, "--dry-run")
    assert r.exit_code == 0, r.output
    text = said(r)
    assert f"tính đến {day(date.today())} — chạy thử: sẽ gửi 2 thư (chưa gửi, chưa ghi sổ)" in text
    assert f"- SNV – {names['SNV']} (đôn đốc, kèm công văn; hạn {day(late)})" in text
    assert f"- STP – {names['STP']} (nhắc hạn; hạn {day(soon)})" in text
    assert "đã gửi" not in text
    assert [len(o.inbox(c)) for c in ("SNV", "STP")] == [1, 1]
    assert digest(o.master) == before and not (o.master.parent / "cong_van_don_doc").exists()

    # a real run right after: the very messages the dry run listed
    r = run("remind", o.master, "--period", PERIOD, "--no-pdf")
    assert r.exit_code == 0 and "đã gửi 1 thư nhắc hạn và 1 thư đôn đốc" in said(r), r.output
    assert [len(o.inbox(c)) for c in ("SNV", "STP")] == [2, 2]
    assert [(x.unit, x.action) for x in read_records(o.master).mail if x.action != SEND] == [
        ("SNV", URGE),
        ("STP", REMIND),
    ]
    # and a dry run the same day lists nobody: they were reminded today
    before = digest(o.master)
    r = run("remind", o.master, "--period", PERIOD, "--dry-run")
    assert r.exit_code == 0 and "sẽ gửi 0 thư" in said(r) and "Đã nhắc hôm nay, không gửi thêm (2)" in said(r)
    assert digest(o.master) == before and [len(o.inbox(c)) for c in ("SNV", "STP")] == [2, 2]


# --- collect -------------------------------------------------------------------------------------
def mailbox(o: Office):
    from imap_tools import MailBoxUnencrypted

    return MailBoxUnencrypted("127.0.0.1", o.servers.imap_port).login_utf8(o.address, o.password)


def folder_flags(o: Office, folder: str) -> list[tuple[str, set[str]]]:
    with mailbox(o) as box:
        box.folder.set(folder)
        return [(m.from_, set(m.flags)) for m in box.fetch(mark_seen=False, headers_only=True)]


def a_return(o: Office, tmp_path: Path, code: str) -> EmailMessage:
    (sent,) = o.inbox(code)
    ((name, data),) = attachments(sent)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = o.units[code], o.address, f"Re: {sent['Subject']}"
    msg["Message-ID"] = f"<tra-loi-{code.lower()}@{o.address.split('@')[1]}>"
    msg.set_content("Gửi lại phiếu đã điền.")
    msg.add_attachment(
        filled(tmp_path, name, data, code),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=name,
    )
    return msg


def test_collect_reads_the_folder_set_in_the_master(office, tmp_path):
    o = office
    folder, done = "Phiếu về (Quý I)", "Đã xử lý"
    send_to(o, date.today() + timedelta(days=20), "SNV", "STP", "SYT")
    with mailbox(o) as box:
        box.folder.create(folder)
        box.append(a_return(o, tmp_path, "SNV").as_bytes(), folder)
        box.append(a_return(o, tmp_path, "STP").as_bytes(), folder)
    o.servers.send(a_return(o, tmp_path, "SYT"))  # into INBOX: not the folder collect reads

    set_settings(o.master, {L_FOLDER: "Phiếu chưa có"})
    before = digest(o.master)
    r = run("collect", o.master)
    assert r.exit_code == 2 and "không có thư mục 'Phiếu chưa có'" in " ".join(r.stderr.split()), r.output
    assert digest(o.master) == before

    set_settings(o.master, {L_FOLDER: folder, L_DONE_FOLDER: done})
    r = run("collect", o.master)
    assert r.exit_code == 0, r.output
    assert f"Hộp thư {folder}: 2 thư mới có tệp Excel (2 tệp)" in said(r) and "Đã tổng hợp 2/2 tệp" in said(r)
    merged = {x.unit for x in read_records(o.master).returns if x.period == PERIOD and x.outcome == MERGED}
    assert merged == {"SNV", "STP"}  # Theo dõi nộp: SYT's return, in INBOX, not taken
    assert returns_row(o.master, "SYT").outcome == SENT
    got = rows(o.master, RECEIVE)
    assert sorted((x.unit, x.address, x.message_id) for x in got) == [
        (c, o.units[c], f"<tra-loi-{c.lower()}@{o.address.split('@')[1]}>") for c in ("SNV", "STP")
    ]
    (entry,) = logged(o.master, "Nhận phiếu qua thư")
    assert entry.outcome.startswith(f"Hộp thư {folder}: 2 thư có tệp Excel, 2/2 phiếu đã tổng hợp")
    # processed: flagged and moved to the done folder; the INBOX untouched
    assert folder_flags(o, folder) == []
    moved = folder_flags(o, done)
    assert sorted(s for s, _ in moved) == sorted(o.units[c] for c in ("SNV", "STP"))
    assert all(FLAG in flags for _, flags in moved)
    ((sender, flags),) = folder_flags(o, "INBOX")
    assert sender == o.units["SYT"] and FLAG not in flags and "\\Seen" not in flags

    before = digest(o.master)
    again = run("collect", o.master)
    assert again.exit_code == 0 and f"Hộp thư {folder}: 0 thư mới" in said(again), again.output
    assert digest(o.master) == before
