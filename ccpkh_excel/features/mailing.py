"""E-mail: send each unit its form, collect the returns from the office mailbox, remind.

    send_forms(master, "Quý I/2026")        one message per unit, its own workbook attached
    collect_returns(master)                  IMAP: every attached return merged in one batch
    send_reminders(master, "Quý I/2026")     before the return date a reminder; after it the
                                             công văn đôn đốc attached

Settings come from the master's sheet "Cài đặt thư", with environment variables taking
precedence (`CCPKH_SMTP`, `CCPKH_IMAP` as host:port, `CCPKH_MAIL_USER`, `CCPKH_MAIL_FROM`,
`CCPKH_MAIL_SECURITY`, `CCPKH_MAIL_TIMEOUT`). The password comes only from
`CCPKH_MAIL_PASSWORD` or the OS keyring (`store_password`): it is never written to the master,
a log, a backup or a message, and it is blotted out of any server reply that is shown.

Every message sent or received is a row of "Thư điện tử" (`records.mail`); what is sent again
or taken again is decided from those rows alone: a unit that was sent its form for a period is
not sent it again (unless `resend`), a unit is reminded at most once a day, a message whose
Message-ID was recorded as received is never merged twice. Each command holds the master (one
lock) from its first read to its last write.
"""

from __future__ import annotations

import hashlib
import imaplib
import io
import mimetypes
import os
import re
import smtplib
import socket
import ssl
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path

from ccpkh_excel.domain import times
from ccpkh_excel.domain.periods import Period, parse_period
from ccpkh_excel.domain.plan import build_assignments
from ccpkh_excel.domain.status import MERGED, MERGED_WARN, REJECTED, SENT, SUPERSEDED
from ccpkh_excel.domain.units import Unit
from ccpkh_excel.domain.vntext import ascii_slug, clean, fold
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.forms import FORMAT, META_SHEET, GenerateResult, generate, plan_title
from ccpkh_excel.features.merging import FileOutcome, MergeResult, merge_returns
from ccpkh_excel.store import xlsxfast
from ccpkh_excel.store.master import Master, hold
from ccpkh_excel.store.records import MailRow, Records
from ccpkh_excel.store.schema import MAIL, MAIL_SETTINGS

# --- names ------------------------------------------------------------------------------------
SEND = "Gửi phiếu"
REMIND = "Nhắc hạn"
URGE = "Đôn đốc"
RECEIVE = "Nhận phiếu"
REPLY = "Trả lời"
DONE = "Đã gửi"  # the outcome of a message the server accepted
FAILED = "Không gửi được"
DUPLICATE = "Trùng"
KEYRING_SERVICE = "ccpkh-excel"
FLAG = "ccpkh_da_xu_ly"  # the IMAP keyword put on a processed message
INBOX_DIR = "phieu_nhan_thu"  # beside the master: the attachments taken from the mailbox
SENT_DIR = "phieu_gui"  # beside the master: the forms sent, by period
URGE_DIR = "cong_van_don_doc"  # beside the master: the công văn attached to the messages
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PROPS_MAX = 1024 * 1024  # a form's properties are a few KB
MAX_NAME = 100  # characters of a saved attachment's name
MAX_ATTACHMENT = 50 * 1024 * 1024  # bytes: a bigger "workbook" is not read

# labels of "Cài đặt thư" (store/schema.py MAIL_SETTINGS), matched without case or diacritics
L_SMTP_HOST, L_SMTP_PORT = "Máy chủ gửi thư (SMTP)", "Cổng SMTP"
L_IMAP_HOST, L_IMAP_PORT = "Máy chủ nhận thư (IMAP)", "Cổng IMAP"
L_SECURITY = "Bảo mật (ssl/starttls/none)"
L_USER, L_FROM = "Tài khoản thư", "Địa chỉ gửi"
L_FOLDER, L_DONE_FOLDER = "Thư mục nhận (IMAP)", "Thư mục lưu thư đã xử lý"
L_SUBJECT, L_BODY = "Tiêu đề thư gửi phiếu", "Nội dung thư gửi phiếu"
L_REMIND_SUBJECT, L_REMIND_BODY = "Tiêu đề thư nhắc", "Nội dung thư nhắc"
L_URGE_SUBJECT, L_URGE_BODY = "Tiêu đề thư đôn đốc", "Nội dung thư đôn đốc"  # optional rows
L_TIMEOUT = "Thời gian chờ máy chủ (giây)"  # optional row
EXTRA_TEXTS = {
    L_URGE_SUBJECT: "Đôn đốc gửi phiếu báo cáo {ky} – {ke_hoach}",
    L_URGE_BODY: (
        "Kính gửi {don_vi},\n\nĐã quá hạn gửi lại phiếu báo cáo {ky} (hạn {han}) nhưng chưa nhận được phiếu của "
        "Quý cơ quan. Gửi kèm công văn đôn đốc. Đề nghị Quý cơ quan khẩn trương điền phiếu và gửi lại bằng cách "
        "trả lời thư này, kèm tệp phiếu.\n\nTrân trọng.\n{co_quan}"
    ),
}
SECURITY = ("ssl", "starttls", "none")
TIMEOUT = 30.0
_DUE = re.compile(r"hạn gửi lại (\d{1,2}/\d{1,2}/\d{4})", re.I)
_AS_OF = re.compile(r"tính đến (\d{1,2}/\d{1,2}/\d{4})", re.I)
_ADDRESS = re.compile(r"[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\".]+")


class MailError(CcpkhError):
    """The mail servers cannot be used (settings, password, connection, login): nothing ran."""


# --- settings ----------------------------------------------------------------------------------
@dataclass
class MailSettings:
    """Where and how to send and read mail (see the module's docstring for the precedence)."""

    smtp_host: str = ""
    smtp_port: int = 587
    imap_host: str = ""
    imap_port: int = 993
    security: str = "starttls"
    user: str = ""
    sender: str = ""
    folder: str = "INBOX"
    done_folder: str = ""
    timeout: float = TIMEOUT
    organization: str = ""  # {co_quan}: who signs the messages
    texts: dict[str, str] = field(default_factory=dict)  # subject and body templates by label
    password: str = field(default="", repr=False)
    password_source: str = ""  # "CCPKH_MAIL_PASSWORD" or "keyring" (never the password itself)
    password_problem: str = ""  # why no password was found

    @classmethod
    def from_master(cls, master: Master | Path | str, env: dict[str, str] | None = None) -> MailSettings:
        """The settings of "Cài đặt thư", the environment variables taking precedence; the
        password from CCPKH_MAIL_PASSWORD or the OS keyring (not required here: see `need`)."""
        m = master if isinstance(master, Master) else Master.read(master)
        env = dict(os.environ if env is None else env)
        given = {fold(k): v for k, v in m.settings.items()}

        def value(label: str, default: str = "") -> str:
            v = given.get(fold(label))
            return clean(v) if v not in (None, "") else default

        s = cls()
        s.texts = {label: str(given.get(fold(label)) or default) for label, default in MAIL_SETTINGS}
        s.texts.update({k: str(given.get(fold(k)) or v) for k, v in EXTRA_TEXTS.items()})
        s.smtp_host, s.smtp_port = value(L_SMTP_HOST), _port(value(L_SMTP_PORT, "587"), L_SMTP_PORT)
        s.imap_host, s.imap_port = value(L_IMAP_HOST), _port(value(L_IMAP_PORT, "993"), L_IMAP_PORT)
        s.security = value(L_SECURITY, "starttls")
        s.user, s.sender = value(L_USER), value(L_FROM)
        s.folder, s.done_folder = value(L_FOLDER, "INBOX"), value(L_DONE_FOLDER)
        timeout = value(L_TIMEOUT)
        if env.get("CCPKH_SMTP"):
            s.smtp_host, s.smtp_port = _host_port(env["CCPKH_SMTP"], "CCPKH_SMTP", s.smtp_port)
        if env.get("CCPKH_IMAP"):
            s.imap_host, s.imap_port = _host_port(env["CCPKH_IMAP"], "CCPKH_IMAP", s.imap_port)
        s.user = clean(env.get("CCPKH_MAIL_USER") or s.user)
        s.sender = clean(env.get("CCPKH_MAIL_FROM") or s.sender)
        s.security = fold(env.get("CCPKH_MAIL_SECURITY") or s.security).replace(" ", "")
        s.security = {"tls": "ssl", "ssltls": "ssl", "khong": "none", "": "starttls"}.get(s.security, s.security)
        if s.security not in SECURITY:
            raise MailError(
                f"Cài đặt 'Bảo mật' không hợp lệ ('{s.security}'): chọn ssl, starttls hoặc none "
                "(sheet 'Cài đặt thư' hoặc biến môi trường CCPKH_MAIL_SECURITY)."
            )
        timeout = env.get("CCPKH_MAIL_TIMEOUT") or timeout
        if timeout:
            try:
                s.timeout = float(timeout)
                assert 0 < s.timeout <= 3600
            except (ValueError, AssertionError):
                raise MailError(
                    f"Thời gian chờ máy chủ '{timeout}' không hợp lệ: ghi số giây, từ 1 đến 3600."
                ) from None
        if not s.sender and "@" in s.user:
            s.sender = s.user
        info = m.plan.info
        s.organization = clean(info.get("Cơ quan ban hành") or info.get("Đầu mối liên hệ") or "")
        s.password, s.password_source, s.password_problem = _password(s.user, env)
        return s

    def mode(self, protocol: str) -> str:
        """ssl, starttls or none for one connection: the well-known ports of implicit TLS (465
        for SMTP, 993 for IMAP) are spoken with TLS from the start even when "starttls" is set."""
        port = self.smtp_port if protocol == "smtp" else self.imap_port
        if self.security == "starttls" and port == (465 if protocol == "smtp" else 993):
            return "ssl"
        return self.security

    def need(self, smtp: bool = False, imap: bool = False) -> None:
        """Refuse, with what to set, when a server, the account, the sender or the password is missing."""
        if smtp and not self.smtp_host:
            raise MailError(
                "Chưa cài đặt máy chủ gửi thư: ghi ở sheet 'Cài đặt thư' (mục 'Máy chủ gửi thư (SMTP)') "
                "hoặc đặt biến môi trường CCPKH_SMTP=máy_chủ:cổng."
            )
        if imap and not self.imap_host:
            raise MailError(
                "Chưa cài đặt máy chủ nhận thư: ghi ở sheet 'Cài đặt thư' (mục 'Máy chủ nhận thư (IMAP)') "
                "hoặc đặt biến môi trường CCPKH_IMAP=máy_chủ:cổng."
            )
        if smtp and not _ADDRESS.fullmatch(self.sender or ""):
            raise MailError(
                "Chưa có địa chỉ gửi thư hợp lệ: ghi ở sheet 'Cài đặt thư' (mục 'Địa chỉ gửi') "
                "hoặc đặt biến môi trường CCPKH_MAIL_FROM."
            )
        if imap and not self.user:
            raise MailError(
                "Chưa có tài khoản thư: ghi ở sheet 'Cài đặt thư' (mục 'Tài khoản thư') "
                "hoặc đặt biến môi trường CCPKH_MAIL_USER."
            )
        if (imap or (smtp and self.user)) and not self.password:
            raise MailError(
                "Chưa có mật khẩu thư"
                + (f" ({self.password_problem})" if self.password_problem else "")
                + ": chạy 'ccpkh-excel mail-password' để lưu vào máy, hoặc đặt biến môi trường CCPKH_MAIL_PASSWORD."
            )

    def scrub(self, text: object) -> str:
        """`text` with the password blotted out (server replies and errors are shown to people)."""
        text = str(text)
        return text.replace(self.password, "******") if self.password else text


def _port(text: str, what: str) -> int:
    try:
        port = int(float(text))
        if 0 < port < 65536:
            return port
    except ValueError:
        pass
    raise MailError(f"Cổng '{text}' ({what}) không hợp lệ: ghi một số từ 1 đến 65535.")


def _host_port(text: str, what: str, default: int) -> tuple[str, int]:
    text = text.strip()
    m = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|([^:\s]+)(?::(\d+))?", text)
    if not m:
        raise MailError(f"Biến môi trường {what}='{text}' không hợp lệ: ghi máy_chủ:cổng, ví dụ mail.tinh.gov.vn:587.")
    host = m.group(1) or m.group(3)
    port = m.group(2) or m.group(4)
    return host, _port(port, what) if port else default


def _password(user: str, env: dict[str, str]) -> tuple[str, str, str]:
    if env.get("CCPKH_MAIL_PASSWORD"):
        return env["CCPKH_MAIL_PASSWORD"], "CCPKH_MAIL_PASSWORD", ""
    if not user:
        return "", "", "chưa có tài khoản thư"
    try:
        import keyring

        found = keyring.get_password(KEYRING_SERVICE, user)
    except Exception as exc:  # noqa: BLE001 - no keyring on this computer, or a locked one
        return "", "", f"không đọc được kho mật khẩu của máy: {exc.__class__.__name__}"
    return (found, "keyring", "") if found else ("", "", f"kho mật khẩu của máy chưa có mật khẩu của '{user}'")


def store_password(user: str, password: str) -> None:
    """Keep the password of `user` in the OS keyring (never anywhere else)."""
    user = clean(user)
    if not user:
        raise MailError("Cần tên tài khoản thư để lưu mật khẩu.")
    if not password:
        raise MailError("Mật khẩu rỗng: không lưu.")
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, user, password)
    except Exception as exc:  # noqa: BLE001 - no usable keyring on this computer
        raise MailError(
            f"Máy này không có kho mật khẩu dùng được ({exc.__class__.__name__}): "
            "đặt biến môi trường CCPKH_MAIL_PASSWORD khi chạy lệnh."
        ) from None


# --- connections -----------------------------------------------------------------------------
def _fault(exc: BaseException, s: MailSettings, protocol: str) -> str:
    """A Vietnamese sentence for what went wrong talking to a server."""
    host, port = (s.smtp_host, s.smtp_port) if protocol == "smtp" else (s.imap_host, s.imap_port)
    where = f"máy chủ {'gửi' if protocol == 'smtp' else 'nhận'} thư {host}:{port}"
    text = s.scrub(_detail(exc))
    if isinstance(exc, smtplib.SMTPAuthenticationError) or _imap_login_failed(exc):
        return (
            f"{where} từ chối đăng nhập tài khoản '{s.user}': sai tài khoản hoặc mật khẩu "
            "(lưu lại mật khẩu bằng 'ccpkh-excel mail-password' hoặc sửa CCPKH_MAIL_PASSWORD)."
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"chứng chỉ bảo mật của {where} không hợp lệ ({exc.verify_message or text}); không gửi mật khẩu "
            "qua kết nối này. Kiểm tra tên máy chủ, hoặc nhờ người quản trị cài chứng chỉ."
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"lỗi kết nối bảo mật (TLS) với {where} ({exc.reason or text}): kiểm tra mục 'Bảo mật' "
            "(ssl/starttls/none) có khớp với cổng không."
        )
    if _timed_out(exc):
        return f"{where} không trả lời sau {s.timeout:g} giây (máy chủ bận, sai cổng hoặc mạng chặn)."
    if isinstance(exc, socket.gaierror):
        return f"không tìm thấy {where} (sai tên máy chủ hoặc máy tính chưa nối mạng)."
    if isinstance(exc, ConnectionRefusedError):
        return f"không kết nối được {where}: máy chủ không chạy hoặc sai cổng."
    if isinstance(exc, smtplib.SMTPNotSupportedError) or "STARTTLS" in text.upper() and "not supported" in text:
        return f"{where} không hỗ trợ STARTTLS: đặt 'Bảo mật' là ssl (cổng 465/993) hoặc none."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{where} báo lỗi {exc.smtp_code}: {text}."
    if isinstance(exc, (ConnectionError, smtplib.SMTPServerDisconnected, imaplib.IMAP4.abort, EOFError)):
        return f"{where} ngắt kết nối ({text or 'không rõ lý do'})."
    if isinstance(exc, OSError):
        return f"lỗi mạng với {where} ({exc.strerror or text or exc.__class__.__name__})."
    return f"lỗi với {where} ({exc.__class__.__name__}: {text})."


def _timed_out(exc: BaseException) -> bool:
    """A timeout, also when smtplib reports it as the server having closed the connection."""
    return isinstance(exc, (TimeoutError, socket.timeout)) or (
        isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(exc.__context__, (TimeoutError, socket.timeout))
    )


def _detail(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error
        return (msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)).strip()
    return " ".join(str(exc).split())


def _imap_login_failed(exc: BaseException) -> bool:
    from imap_tools.errors import MailboxLoginError

    return isinstance(exc, MailboxLoginError) or (
        isinstance(exc, imaplib.IMAP4.error) and "AUTHENTICATIONFAILED" in str(exc).upper()
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Smtp:
    """One SMTP connection for a batch; when the server drops it, one reconnection per message."""

    def __init__(self, s: MailSettings):
        self.s = s
        self.conn: smtplib.SMTP | None = None
        self.down = ""  # why the server cannot be reached any more: the rest of the batch is not tried
        self.size_limit = 0

    def open(self) -> None:
        s = self.s
        s.need(smtp=True)
        name = socket.gethostname() or "localhost"  # not getfqdn(): no DNS lookup before connecting
        context = ssl.create_default_context()
        conn = None
        try:
            if s.mode("smtp") == "ssl":
                conn = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, name, timeout=s.timeout, context=context)
            else:
                conn = smtplib.SMTP(s.smtp_host, s.smtp_port, name, timeout=s.timeout)
            conn.ehlo()
            if s.mode("smtp") == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if s.user:
                if not conn.has_extn("auth"):
                    raise MailError(
                        f"Máy chủ gửi thư {s.smtp_host}:{s.smtp_port} không cho đăng nhập "
                        f"{'' if s.mode('smtp') != 'none' else 'khi chưa mã hóa '}(không có AUTH): kiểm tra mục "
                        "'Bảo mật', hoặc để trống 'Tài khoản thư' nếu máy chủ không cần đăng nhập."
                    )
                _smtp_login(conn, s.user, s.password)
        except MailError:
            _quietly(conn)
            raise
        except Exception as exc:  # noqa: BLE001 - every fault becomes a sentence
            _quietly(conn)
            raise MailError(_capital(_fault(exc, s, "smtp"))) from None
        self.conn = conn
        size = conn.esmtp_features.get("size", "")
        self.size_limit = int(size) if size.strip().isdigit() else 0

    def deliver(self, msg: EmailMessage, to: list[str]) -> tuple[list[str], str]:
        """Send one message: (refused recipients, error); the batch goes on after an error."""
        raw = msg.as_bytes(policy=policy.SMTP)
        if self.down:
            return [], self.down
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.open()
                if self.size_limit and len(raw) > self.size_limit:
                    return [], (
                        f"thư nặng {_mb(len(raw))}, quá giới hạn {_mb(self.size_limit)} của máy chủ gửi thư; "
                        "không gửi được tệp đính kèm này qua thư."
                    )
                refused = self.conn.sendmail(self.s.sender, to, raw)
                return sorted(refused), ""
            except MailError as exc:  # reconnecting failed: the server is gone
                self.down = str(exc)
                return [], self.down
            except smtplib.SMTPRecipientsRefused as exc:
                return sorted(exc.recipients), "máy chủ từ chối mọi địa chỉ nhận: " + "; ".join(
                    f"{a} ({_reply_text(r)})" for a, r in exc.recipients.items()
                )
            except smtplib.SMTPSenderRefused as exc:
                if exc.smtp_code == 552 or "size" in _detail(exc).lower():
                    return [], f"thư nặng {_mb(len(raw))}, máy chủ báo quá giới hạn kích thước ({_detail(exc)})."
                return [], self.s.scrub(f"máy chủ từ chối địa chỉ gửi {self.s.sender}: {_detail(exc)}")
            except smtplib.SMTPDataError as exc:
                if exc.smtp_code == 421 and attempt == 1:  # the server closed the session: reconnect once
                    self.conn = None
                    continue
                if exc.smtp_code == 552:
                    return [], f"thư nặng {_mb(len(raw))}, máy chủ báo quá giới hạn kích thước ({_detail(exc)})."
                return [], self.s.scrub(f"máy chủ không nhận thư: {exc.smtp_code} {_detail(exc)}")
            except smtplib.SMTPResponseException as exc:  # any other refusal: this message only
                return [], _fault(exc, self.s, "smtp")
            except OSError as exc:  # the connection dropped (SMTPServerDisconnected is one): reconnect once
                _quietly(self.conn)
                self.conn = None
                if attempt == 1 and not _timed_out(exc):
                    continue  # a timeout is not retried: the message may have gone through
                return [], _fault(exc, self.s, "smtp")
        return [], "máy chủ gửi thư ngắt kết nối hai lần liền."

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.quit()
            except Exception:  # noqa: BLE001 - closing: nothing left to do
                _quietly(conn)


def _smtp_login(conn: smtplib.SMTP, user: str, password: str) -> None:
    """Log in; a non-ASCII account or password (smtplib encodes ASCII only) as UTF-8 AUTH PLAIN."""
    if (user + password).isascii():
        conn.login(user, password)
        return
    import base64

    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, reply = conn.docmd("AUTH", "PLAIN " + token)
    if code == 334:  # the server asks for the response on its own line
        code, reply = conn.docmd(token)
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, reply)


def _quietly(conn) -> None:
    try:
        if conn is not None:
            conn.close()
    except Exception:  # noqa: BLE001
        pass


def _reply_text(reply) -> str:
    code, text = reply if isinstance(reply, tuple) else ("", reply)
    return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}".strip()


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB".replace(".", ",")


class _Imap:
    """The office mailbox, logged in, its folder selected."""

    def __init__(self, s: MailSettings):
        self.s = s
        self.box = None

    def open(self) -> None:
        from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
        from imap_tools.errors import MailboxFolderSelectError

        s = self.s
        s.need(imap=True)
        context = ssl.create_default_context()
        box = None
        try:
            mode = s.mode("imap")
            if mode == "ssl":
                box = MailBox(s.imap_host, s.imap_port, timeout=s.timeout, ssl_context=context)
            elif mode == "starttls":
                box = MailBoxStartTls(s.imap_host, s.imap_port, timeout=s.timeout, ssl_context=context)
            else:
                box = MailBoxUnencrypted(s.imap_host, s.imap_port, timeout=s.timeout)
            if (s.user + s.password).isascii():
                box.login(s.user, s.password, initial_folder=None)
            else:  # LOGIN is ASCII only: a Vietnamese password goes as UTF-8 with AUTHENTICATE PLAIN
                box.login_utf8(s.user, s.password, initial_folder=None)
        except Exception as exc:  # noqa: BLE001
            self._drop(box)
            raise MailError(_capital(_fault(exc, s, "imap"))) from None
        try:
            box.folder.set(s.folder)
        except MailboxFolderSelectError:
            self._drop(box)
            raise MailError(
                f"Hộp thư {s.user} không có thư mục '{s.folder}' (mục 'Thư mục nhận (IMAP)' ở sheet 'Cài đặt thư')."
            ) from None
        except Exception as exc:  # noqa: BLE001
            self._drop(box)
            raise MailError(_capital(_fault(exc, s, "imap"))) from None
        self.box = box

    def fetch_new(self) -> tuple[list, list]:
        """(messages that may carry an attachment, whole; the others, headers only) among those
        of the folder not yet marked processed — read without marking them seen. Headers first:
        a plain-text mail is never downloaded whole."""
        from imap_tools import AND

        try:
            heads = list(self.box.fetch(AND(no_keyword=FLAG), mark_seen=False, headers_only=True, bulk=500))
            plain = [m for m in heads if not _may_attach(m)]
            wanted = [m.uid for m in heads if _may_attach(m)]
            whole = list(self.box.fetch(uid_list=wanted, mark_seen=False, bulk=50)) if wanted else []
        except Exception as exc:  # noqa: BLE001
            raise MailError(_capital(_fault(exc, self.s, "imap"))) from None
        return whole, plain

    def mark(self, uids: list[str]) -> str:
        """Flag (and move, when a folder is set) the processed messages; "" or why it failed."""
        if not uids:
            return ""
        last = ""
        for attempt in (1, 2):
            try:
                if self.box is None:
                    self.open()
                self.box.flag(uids, FLAG, True)
                if self.s.done_folder:
                    if not self.box.folder.exists(self.s.done_folder):
                        self.box.folder.create(self.s.done_folder)
                    self.box.move(uids, self.s.done_folder)
                return ""
            except MailError as exc:
                return str(exc)
            except Exception as exc:  # noqa: BLE001 - reconnect once, then give up
                last = _fault(exc, self.s, "imap")
                self._drop(self.box)
                self.box = None
                if attempt == 2:
                    break
        return last

    def close(self) -> None:
        box, self.box = self.box, None
        if box is not None:
            try:
                box.logout()
            except Exception:  # noqa: BLE001
                self._drop(box)

    @staticmethod
    def _drop(box) -> None:
        try:
            if box is not None:
                box.client.shutdown()
        except Exception:  # noqa: BLE001
            pass


# --- messages ----------------------------------------------------------------------------------
def fill_template(template: str, values: dict[str, str]) -> str:
    """`{name}` replaced by its value; anything else (unknown names, attributes) left as written."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template or "")


def _values(m: Master, s: MailSettings, unit: Unit, p: Period, due: date | None) -> dict[str, str]:
    return {
        "don_vi": unit.name,
        "ma_don_vi": unit.code,
        "ky": p.label,
        "ke_hoach": plan_title(m.plan),
        "han": f"{due:%d/%m/%Y}" if due else "",
        "co_quan": s.organization,
    }


def _message(
    s: MailSettings,
    to: list[str],
    subject: str,
    body: str,
    files: list[Path] = (),
    in_reply_to: str = "",
    auto: str = "",
) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = formataddr((s.organization, s.sender)) if s.organization else s.sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid("ccpkh", domain=s.sender.rpartition("@")[2] or "localhost")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    if auto:
        msg["Auto-Submitted"] = auto
    msg["X-Mailer"] = "ccpkh-excel"
    msg.set_content(body.replace("\r\n", "\n"), charset="utf-8", cte="quoted-printable")
    for path in files:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix.lower() == ".xlsx":
            kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        elif path.suffix.lower() == ".docx":
            kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        main, _, sub = kind.partition("/")
        msg.add_attachment(path.read_bytes(), maintype=main, subtype=sub, filename=path.name)
    return msg


def split_addresses(text: str) -> tuple[list[str], list[str]]:
    """(valid, invalid) addresses of an Email cell: several separated by ";" (or "," or lines).
    A comma inside a quoted name separates nothing ('"Sở Văn hóa, Thể thao và Du lịch"
    <vh@tinh.gov.vn>' is one address, as Outlook copies it); an address written twice, in any
    case, is kept once (its mailbox gets one copy)."""
    good, bad = [], []
    for piece in _address_pieces(text or ""):
        piece = piece.strip()
        if not piece:
            continue
        address = parseaddr(piece)[1].strip()
        if not _ADDRESS.fullmatch(address):
            bad.append(address or piece)
        elif address.lower() not in (a.lower() for a in good):
            good.append(address)
    return good, bad


def _address_pieces(text: str) -> list[str]:
    """`text` cut at ";" and line ends, and at "," outside a quoted name."""
    pieces, start, quoted = [], 0, False
    for i, ch in enumerate(text):
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif ch in ";\r\n" or (ch == "," and not quoted):
            pieces.append(text[start:i])
            start, quoted = i + 1, False
    pieces.append(text[start:])
    return pieces


@dataclass
class Delivery:
    """One message to one unit (sent, failed, or only planned on a dry run)."""

    unit: str
    name: str
    addresses: list[str]
    action: str
    files: list[Path] = field(default_factory=list)
    due: date | None = None
    message_id: str = ""
    error: str = ""
    refused: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.message_id)


def _row(d: Delivery, p: Period, now: datetime, outcome: str, base: Path) -> MailRow:
    return MailRow(
        now,
        d.unit,
        p.label,
        d.action,
        "; ".join(d.addresses),
        d.message_id,
        "; ".join(_rel(f, base) for f in d.files),
        outcome,
    )


def _rel(path: Path, base: Path) -> str:
    try:
        return Path(path).resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return Path(path).name


def _outcome(d: Delivery, extra: str = "") -> str:
    if d.error:
        return f"{FAILED}: {d.error}"
    text = DONE + (f"; {extra}" if extra else "")
    if d.refused:
        text += "; máy chủ từ chối: " + ", ".join(d.refused)
    return text


def _send_all(smtp: _Smtp, items: list[tuple[Delivery, EmailMessage]]) -> None:
    for d, msg in items:
        refused, error = smtp.deliver(msg, d.addresses)
        d.refused = refused
        if error:
            d.error = smtp.s.scrub(error)
        else:
            d.message_id = str(msg["Message-ID"])


def _ok(row: MailRow) -> bool:
    return str(row.outcome).startswith(DONE)


def _recorded_due(records: Records, period: str, unit: str | None = None) -> date | None:
    """The return date the forms of `period` went out with (of `unit`, or the latest of any):
    of the latest sending, and of the row written last among those of the same second (a
    form sent again at once with another --due: its new date, not the first one)."""
    found: list[tuple[object, int, date | None]] = []
    for i, r in enumerate(records.mail):
        if r.action == SEND and r.period == period and _ok(r) and (unit is None or r.unit == unit):
            if m := _DUE.search(str(r.outcome)):
                found.append((r.time if isinstance(r.time, datetime) else datetime.min, i, _day(m.group(1))))
    if not found:
        for i, r in enumerate(records.returns):
            if r.period == period and (unit is None or r.unit == unit) and (m := _DUE.search(str(r.reason))):
                found.append((datetime.min, i, _day(m.group(1))))
    found = [f for f in found if f[2]]
    return max(found, key=lambda f: f[:2])[2] if found else None


def _day(text: str) -> date | None:
    try:
        d, mth, y = (int(x) for x in text.split("/"))
        return date(y, mth, d)
    except ValueError:
        return None


@contextmanager
def _held(master: Master | Path | str, wait: float, read_only: bool) -> Iterator[Master]:
    if read_only and not isinstance(master, Master):
        yield Master.read(master)
    else:
        with hold(master, wait) as m:
            yield m


# --- send ----------------------------------------------------------------------------------------
class _Sending:
    """What send and remind share: the messages tried, those sent, those that failed."""

    messages: list[Delivery]

    @property
    def sent(self) -> list[Delivery]:
        return [d for d in self.messages if d.ok]

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.messages if d.error]


@dataclass
class SendResult(_Sending):
    period: Period
    out_dir: Path
    messages: list[Delivery] = field(default_factory=list)
    generated: GenerateResult | None = None
    already: list[str] = field(default_factory=list)  # units sent their form before (no --resend)
    returned: list[str] = field(default_factory=list)  # units that have returned already
    no_email: list[tuple[str, str, str]] = field(default_factory=list)  # (code, name, what the cell holds)
    skipped: list[str] = field(default_factory=list)  # asked-for units without tasks
    dry_run: bool = False
    backup: Path | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.no_email or (self.generated and self.generated.failed) else 0


def send_forms(
    master: Master | Path | str,
    period: str,
    out_dir: Path | None = None,
    units: list[str] | None = None,
    due: date | None = None,
    resend: bool = False,
    dry_run: bool = False,
    wait: float = 0.0,
    now: datetime | None = None,
) -> SendResult:
    """Generate the period's forms of the units still to be sent theirs (same rules as
    `generate`) and mail each unit its own workbook over one SMTP connection."""
    p = parse_period(period)
    now = times.local(now) if now else times.now()
    with _held(master, wait, dry_run) as m:
        return _send(m, p, out_dir, units, due, resend, dry_run, now)


def _send(m: Master, p, out_dir, units, due, resend, dry_run, now) -> SendResult:
    s = MailSettings.from_master(m)
    plan, records = m.plan, m.records
    if not m.plan_id and not dry_run:
        raise CcpkhError("Sổ theo dõi chưa có 'Mã kế hoạch'. Chạy 'ccpkh-excel check' một lần để sinh mã.", m.path)
    out_dir = Path(out_dir) if out_dir else m.path.parent / SENT_DIR / p.slug
    result = SendResult(p, out_dir, dry_run=dry_run)
    assigned = {a.unit for a in build_assignments(plan)}
    by_code = {u.code: u for u in plan.units}
    wanted = list(dict.fromkeys(units)) if units else [u.code for u in plan.units if u.code in assigned]
    unknown = [c for c in wanted if c not in by_code]
    if unknown:
        raise CcpkhError(f"Không có đơn vị mã {', '.join(unknown)} trong sheet Đơn vị.", m.path)
    sent_before = {r.unit for r in records.mail if r.action == SEND and r.period == p.label and _ok(r)}
    returned = {r.unit for r in records.returns if r.period == p.label and r.outcome in (MERGED, MERGED_WARN)}
    due = due or _recorded_due(records, p.label)
    targets: dict[str, list[str]] = {}
    for code in wanted:
        unit = by_code[code]
        if code not in assigned:
            result.skipped.append(code)
        elif not resend and code in sent_before:
            result.already.append(code)
        elif not resend and code in returned:
            result.returned.append(code)
        else:
            good, bad = split_addresses(unit.email)
            if bad or not good:
                result.no_email.append((code, unit.name, unit.email))
            if good:
                targets[code] = good
    if dry_run:
        for code, to in targets.items():
            result.messages.append(Delivery(code, by_code[code].name, to, SEND, due=due or p.end + timedelta(days=5)))
        return result
    if not targets:
        return result
    smtp = _Smtp(s)
    smtp.open()  # a wrong password or a server down stops here: nothing generated, nothing recorded
    try:
        gen = generate(m, p.label, out_dir, list(targets), due, now)
        result.generated = gen
        due = due or p.end + timedelta(days=5)  # what generate wrote in the forms
        items = []
        for f in gen.files:
            unit = by_code[f.code]
            d = Delivery(f.code, f.name, targets[f.code], SEND, [f.file], due)
            values = _values(m, s, unit, p, due)
            msg = _message(
                s,
                d.addresses,
                fill_template(s.texts[L_SUBJECT], values),
                fill_template(s.texts[L_BODY], values),
                [f.file],
            )
            items.append((d, msg))
            result.messages.append(d)
        _send_all(smtp, items)
    finally:
        smtp.close()
        if result.messages:  # what went out is recorded even when the batch was cut short
            _record_sends(m, p, result, due, now)
    return result


def _record_sends(m: Master, p: Period, result: SendResult, due: date, now: datetime) -> None:
    records, base = m.records, m.path.parent
    tried = [d for d in result.messages if d.ok or d.error]
    rows = [_row(d, p, now, _outcome(d, f"hạn gửi lại {due:%d/%m/%Y}"), base) for d in tried]
    records.mail.extend(rows)
    delivered = {d.unit: d for d in result.sent}
    records.returns = [
        r._replace(reason=f"{r.reason}; gửi thư {now:%d/%m/%Y %H:%M} tới {'; '.join(delivered[r.unit].addresses)}")
        if r.period == p.label and r.outcome == SENT and r.unit in delivered
        else r
        for r in records.returns
    ]
    m.log(SEND + " qua thư", [d.files[0].name for d in tried], _summary(p, tried))
    result.backup = _save_or_journal(m, records, rows, now)


def _summary(p: Period, messages: list[Delivery]) -> str:
    ok = sum(1 for d in messages if d.ok)
    failed = [d.unit for d in messages if d.error]
    return f"Kỳ {p.label}: {ok} thư đã gửi" + (f"; {len(failed)} thư lỗi ({', '.join(failed)})" if failed else "")


# --- remind ----------------------------------------------------------------------------------------
@dataclass
class RemindResult(_Sending):
    period: Period
    as_of: date
    messages: list[Delivery] = field(default_factory=list)
    not_yet: list[tuple[str, date]] = field(default_factory=list)  # (unit, due): too early to remind
    already: list[str] = field(default_factory=list)  # reminded on this day already
    returned: list[str] = field(default_factory=list)  # returned: never reminded
    no_email: list[tuple[str, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False
    backup: Path | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.no_email or self.problems else 0


def send_reminders(
    master: Master | Path | str,
    period: str,
    as_of: date | None = None,
    days_before: int = 3,
    dry_run: bool = False,
    wait: float = 0.0,
    pdf: bool | None = None,
    now: datetime | None = None,
) -> RemindResult:
    """Remind the units that have not returned: from `days_before` days before their return date
    a reminder, after it the công văn đôn đốc attached (.docx, and .pdf with LibreOffice unless
    `pdf` is False). At most one message per unit and day; never to a unit that has returned."""
    p = parse_period(period)
    now = times.local(now) if now else times.now()
    as_of = as_of or now.date()
    with _held(master, wait, dry_run) as m:
        return _remind(m, p, as_of, max(int(days_before), 0), dry_run, pdf, now)


def _reminded_on(r: MailRow) -> date | None:
    if m := _AS_OF.search(str(r.outcome)):
        return _day(m.group(1))
    return r.time.date() if isinstance(r.time, datetime) else None


def _remind(m: Master, p: Period, as_of: date, days_before: int, dry_run: bool, pdf, now: datetime) -> RemindResult:
    s = MailSettings.from_master(m)
    plan, records = m.plan, m.records
    result = RemindResult(p, as_of, dry_run=dry_run)
    waiting = {r.unit for r in records.returns if r.period == p.label and r.outcome == SENT and r.unit}
    returned = {r.unit for r in records.returns if r.period == p.label and r.outcome in (MERGED, MERGED_WARN)}
    today = {
        r.unit
        for r in records.mail
        if r.period == p.label and r.action in (REMIND, URGE) and _ok(r) and _reminded_on(r) == as_of
    }
    first = {r.unit: r.message_id for r in records.mail if r.action == SEND and r.period == p.label and _ok(r)}
    plans: list[tuple[Unit, list[str], date, str]] = []
    for unit in plan.units:
        if unit.code in returned:
            if unit.code in waiting:
                result.returned.append(unit.code)
            continue
        if unit.code not in waiting:
            continue
        due = _recorded_due(records, p.label, unit.code) or p.end + timedelta(days=5)
        if as_of < due - timedelta(days=days_before):
            result.not_yet.append((unit.code, due))
            continue
        if unit.code in today:
            result.already.append(unit.code)
            continue
        good, bad = split_addresses(unit.email)
        if bad or not good:
            result.no_email.append((unit.code, unit.name, unit.email))
        if good:
            plans.append((unit, good, due, URGE if as_of > due else REMIND))
    if dry_run or not plans:
        result.messages = [Delivery(u.code, u.name, to, action, due=due) for u, to, due, action in plans]
        return result
    smtp = _Smtp(s)
    smtp.open()  # nothing is written when the server cannot be used
    items = []
    try:
        folder = m.path.parent / URGE_DIR / f"{as_of:%Y%m%d}"
        want_pdf = _has_soffice() if pdf is None else pdf
        for unit, to, due, action in plans:
            d = Delivery(unit.code, unit.name, to, action, due=due)
            result.messages.append(d)
            if action == URGE:
                try:
                    d.files = _urge_letter(m, p, unit, as_of, folder, want_pdf, result)
                except CcpkhError as exc:
                    d.error = f"không viết được công văn đôn đốc: {exc}"
                    continue
            values = _values(m, s, unit, p, due)
            subject, body = (L_URGE_SUBJECT, L_URGE_BODY) if action == URGE else (L_REMIND_SUBJECT, L_REMIND_BODY)
            msg = _message(
                s,
                to,
                fill_template(s.texts[subject], values),
                fill_template(s.texts[body], values),
                d.files,
                in_reply_to=first.get(unit.code, ""),
            )
            items.append((d, msg))
        _send_all(smtp, items)
    finally:
        smtp.close()
        if result.messages:  # what went out is recorded even when the batch was cut short
            _record_reminders(m, p, as_of, result, now)
    return result


def _record_reminders(m: Master, p: Period, as_of: date, result: RemindResult, now: datetime) -> None:
    records, base = m.records, m.path.parent
    tried = [d for d in result.messages if d.ok or d.error]
    rows = [
        _row(d, p, now, _outcome(d, f"tính đến {as_of:%d/%m/%Y}; hạn gửi lại {d.due:%d/%m/%Y}"), base) for d in tried
    ]
    records.mail.extend(rows)
    counts = {a: sum(1 for d in result.sent if d.action == a) for a in (REMIND, URGE)}
    note = f"Kỳ {p.label}, tính đến {as_of:%d/%m/%Y}: {counts[REMIND]} thư nhắc hạn, {counts[URGE]} thư đôn đốc"
    if result.failed:
        note += f"; {len(result.failed)} thư lỗi ({', '.join(d.unit for d in result.failed)})"
    m.log(REMIND, [f.name for d in tried for f in d.files], note)
    result.backup = _save_or_journal(m, records, rows, now)


def _save_or_journal(m: Master, records: Records, rows: list[MailRow], now: datetime) -> Path | None:
    """Save what went out; when the master cannot be written (disk full, no permission), the
    messages are already gone: list them in a CSV beside the master, so the clerk knows which
    units have their mail and nothing is sent twice by mistake, and say so."""
    from ccpkh_excel.errors import MasterError
    from ccpkh_excel.features.forms import csv_safe

    try:
        return m.save(records=records)
    except MasterError as exc:
        import csv

        sent = [r for r in rows if r.message_id]
        journal = m.path.parent / f"thu_da_gui_chua_ghi_so_{now:%Y%m%d-%H%M%S}.csv"
        try:
            with journal.open("w", newline="", encoding="utf-8-sig") as f:
                w = csv.writer(f)
                w.writerow([c.header for c in MAIL.columns])
                for r in rows:
                    w.writerow([csv_safe(v) for v in (f"{r.time:%d/%m/%Y %H:%M}", *r[1:])])
            where = f"danh sách ở tệp {journal.name} (cùng thư mục với sổ)"
        except OSError:
            journal.unlink(missing_ok=True)
            where = "danh sách: " + ", ".join(r.unit for r in sent)
        from ccpkh_excel.store.files import os_reason

        why = os_reason(exc.__cause__) if isinstance(exc.__cause__, OSError) else exc.reason.rstrip(".")
        raise MasterError(
            f"đã gửi {len(sent)} thư nhưng không ghi được vào sổ ({why}); {where}. "
            "Đừng gửi lại cho các đơn vị này; khi sổ ghi được, chép danh sách vào sheet 'Thư điện tử'.",
            m.path,
        ) from exc


def _has_soffice() -> bool:
    import shutil

    return bool(shutil.which("soffice") or shutil.which("libreoffice"))


def _urge_letter(m: Master, p: Period, unit: Unit, as_of: date, folder: Path, pdf: bool, result) -> list[Path]:
    from ccpkh_excel.features.documents.writing import write_document

    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"Don_doc_{ascii_slug(unit.code)[:30] or 'DV'}_{p.slug}.docx"
    try:
        written = write_document(m, "don-doc", out, period=p.label, unit=unit.code, as_of=as_of)
    except OSError as exc:
        raise CcpkhError(f"không ghi được tệp ({exc.strerror or exc.__class__.__name__})", out) from None
    files = [written.path]
    if pdf:
        try:
            from ccpkh_excel.features.documents.rendering import to_pdf

            files.append(to_pdf(written.path))
        except (CcpkhError, OSError) as exc:  # the .docx alone still goes out
            result.problems.append(f"{unit.code}: không xuất được PDF ({exc}); chỉ gửi bản .docx.")
    return files


# --- collect ---------------------------------------------------------------------------------------
@dataclass
class ReceivedFile:
    name: str  # as attached
    path: Path | None = None  # as saved beside the master
    is_return: bool = False  # recognised as a ccpkh form by its content
    merge: FileOutcome | None = None
    duplicate: str = ""  # why it was not merged again
    deferred: str = ""  # left for a later run (another period asked for)

    @property
    def outcome(self) -> str:
        if self.duplicate:
            return DUPLICATE
        return self.merge.outcome if self.merge else ""

    @property
    def reason(self) -> str:
        if self.duplicate:
            return self.duplicate
        if not self.merge:
            return self.deferred
        parts = ([self.merge.reason] if self.merge.reason else []) + self.merge.not_applied + self.merge.warnings
        return "; ".join(x.rstrip(". ") for x in parts)


@dataclass
class MessageOutcome:
    uid: str
    sender: str
    subject: str
    message_id: str
    reply_to: str = ""
    stranger: bool = False  # the sender is no unit's address
    files: list[ReceivedFile] = field(default_factory=list)
    note: str = ""  # why it was left as it is, or taken before
    processed: bool = False  # merged or rejected with a recorded reason: flagged

    @property
    def sender_note(self) -> str:
        return "người gửi lạ (không phải địa chỉ của đơn vị nào)" if self.stranger else ""


@dataclass
class CollectResult:
    master: Path
    folder: str
    messages: list[MessageOutcome] = field(default_factory=list)  # with at least one workbook attached
    untouched: list[MessageOutcome] = field(default_factory=list)  # no workbook: left as they are
    earlier: list[MessageOutcome] = field(default_factory=list)  # taken by an earlier run, only flagged now
    merge: MergeResult | None = None
    replies: list[Delivery] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False
    backup: Path | None = None

    @property
    def files(self) -> list[ReceivedFile]:
        return [f for msg in self.messages for f in msg.files]

    @property
    def exit_code(self) -> int:
        code = self.merge.exit_code if self.merge else 0
        if self.problems or any(r.error for r in self.replies):
            code = max(code, 1)
        return code


def collect_returns(
    master: Master | Path | str,
    period: str | None = None,
    dry_run: bool = False,
    reply: bool = False,
    wait: float = 0.0,
    now: datetime | None = None,
) -> CollectResult:
    """Read the office mailbox: every workbook attached to a new message is saved beside the
    master and merged in one batch (same rules as `merge`); the messages are then marked
    processed. Messages without a workbook are left untouched. `reply` answers each sender."""
    period = parse_period(period).label if period else None
    now = times.local(now) if now else times.now()
    with _held(master, wait, dry_run) as m:
        return _collect(m, period, dry_run, reply, now)


def _collect(m: Master, period: str | None, dry_run: bool, reply: bool, now: datetime) -> CollectResult:
    s = MailSettings.from_master(m)
    if reply and not dry_run:
        s.need(smtp=True)
    plan, records = m.plan, m.records
    result = CollectResult(m.path, s.folder, dry_run=dry_run)
    unit_of = {a.lower(): u.code for u in plan.units for a in split_addresses(u.email)[0]}
    known = {r.message_id for r in records.mail if r.action == RECEIVE and r.message_id}
    box = _Imap(s)
    box.open()
    tmp = tempfile.TemporaryDirectory(prefix="ccpkh-thu-") if dry_run else None
    try:
        fetched, plain = box.fetch_new()
        for msg in plain:
            mo = _read_message(msg, unit_of)
            mo.note = "không có tệp đính kèm: để nguyên"
            result.untouched.append(mo)
        folder = Path(tmp.name) if tmp else m.path.parent / INBOX_DIR / f"{now:%Y%m%d}"
        seen_ids: set[str] = set()
        seen_bytes: dict[str, ReceivedFile] = {}
        for msg in fetched:
            mo = _read_message(msg, unit_of)
            workbooks = [(a, kind) for a in msg.attachments if (kind := _workbook_kind(a.filename, a.payload))]
            if not workbooks:
                mo.note = "không có tệp Excel đính kèm: để nguyên"
                result.untouched.append(mo)
                continue
            if mo.message_id in known or mo.message_id in seen_ids:
                mo.note = "đã nhận ở lần chạy trước (Message-ID đã ghi trong sheet Thư điện tử)"
                mo.processed = True
                result.earlier.append(mo)
                continue
            seen_ids.add(mo.message_id)
            try:
                _save_attachments(mo, workbooks, folder, seen_bytes, records, m.path.parent, period)
            except OSError as exc:
                result.problems.append(
                    f"Thư của {mo.sender} ({mo.subject}): không lưu được tệp đính kèm "
                    f"({exc.strerror or exc.__class__.__name__}); thư để nguyên, lần sau lấy lại."
                )
                mo.files = []
                continue
            if any(f.deferred for f in mo.files):
                mo.note = next(f.deferred for f in mo.files if f.deferred)
                for f in mo.files:
                    _discard(f.path)
                    f.path = None
                result.untouched.append(mo)
                continue
            result.messages.append(mo)
        files = [f.path for mo in result.messages for f in mo.files if f.path and not f.duplicate]
        rows: list[MailRow] = []
        if files:  # merged and recorded together: one save below
            result.merge = merge_returns(m, files, dry_run=dry_run, period=period, now=now, save=False)
            by_path = {o.path: o for o in result.merge.files}
            for f in result.files:
                if f.path in by_path:
                    f.merge = by_path[f.path]
        base = m.path.parent
        for mo in result.messages:
            late_period = [f for f in mo.files if _other_period(f, period)]
            if late_period:  # merge turned it down only for its period: leave the message for later
                mo.note = f"phiếu kỳ {late_period[0].merge.period}, lần này chỉ nhận kỳ {period}: để nguyên"
                mo.processed = False
                continue
            mo.processed = all(f.outcome for f in mo.files)
            for f in mo.files:
                outcome = f"{f.outcome}: {f.reason}" if f.reason else f.outcome
                if mo.stranger:
                    outcome += f"; {mo.sender_note}"
                unit = f.merge.unit if f.merge else ""
                rows.append(
                    MailRow(
                        now,
                        unit,
                        f.merge.period if f.merge else "",
                        RECEIVE,
                        mo.sender,
                        mo.message_id,
                        _rel(f.path, base) if f.path else f.name,
                        _cut(outcome),
                    )
                )
        if dry_run:
            return result
        pending = result.merge.records if result.merge and result.merge.records is not None else None
        if rows or pending is not None:
            target = pending if pending is not None else records
            target.mail.extend(rows)
            merged = sum(1 for f in result.files if f.outcome in (MERGED, MERGED_WARN))
            m.log(
                RECEIVE + " qua thư",
                [f.path.name for f in result.files if f.path],
                f"Hộp thư {s.folder}: {len(result.messages)} thư có tệp Excel, {merged}/{len(result.files)} phiếu đã tổng hợp",
            )
            result.backup = m.save(records=target, stats=result.merge.stats if result.merge else None)
            if result.merge:
                result.merge.backup = result.backup
        # only now, the master saved, are the messages marked: a crash before leaves them to the next
        # run, which knows them by their recorded Message-ID and merges nothing twice
        done = [mo.uid for mo in [*result.messages, *result.earlier] if mo.processed]
        problem = box.mark(done)
        if problem:
            result.problems.append(
                f"Đã ghi sổ nhưng chưa đánh dấu được {len(done)} thư đã xử lý ({problem}). Lần sau các thư này "
                "được nhận ra nhờ Message-ID đã ghi, không tổng hợp lại."
            )
    finally:
        box.close()
        if tmp:
            tmp.cleanup()
    if reply and result.messages:
        _reply(m, s, result, now)
    return result


def _cut(text: str, limit: int = 1000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _other_period(f: ReceivedFile, period: str | None) -> bool:
    o = f.merge
    return bool(period and o and o.outcome == REJECTED and o.period and o.period != period)


def _discard(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def _may_attach(msg) -> bool:
    """Whether a message (its headers) can carry an attachment: not plain text or HTML alone."""
    kind = _header(msg, "Content-Type").split(";")[0].strip().lower() or "text/plain"
    return not (kind.startswith("text/") or kind == "multipart/alternative")


def _header(msg, name: str) -> str:
    values = msg.headers.get(name.lower(), ())
    return " ".join(str(values[0]).split()) if values else ""


def _read_message(msg, unit_of: dict[str, str]) -> MessageOutcome:
    sender = (msg.from_ or "").strip().lower()
    message_id = _header(msg, "Message-ID")
    if not message_id:  # no Message-ID: one made from the message itself, the same every time
        message_id = "<sha256-" + hashlib.sha256(msg.obj.as_bytes()).hexdigest()[:40] + "@ccpkh>"
    reply_to = (msg.reply_to[0] if msg.reply_to else sender).strip()
    return MessageOutcome(
        uid=str(msg.uid),
        sender=sender,
        subject=clean(msg.subject),
        message_id=message_id,
        reply_to=reply_to,
        stranger=sender not in unit_of,
    )


def _workbook_kind(name: str | None, payload: bytes) -> str:
    """ "return" for a ccpkh form (by its content), "workbook" for any other workbook or file
    named like one (merge turns it down with its reason), "" for anything else."""
    suffix = Path(name or "").suffix.lower()
    if len(payload) > MAX_ATTACHMENT:
        return "workbook" if suffix in WORKBOOK_SUFFIXES else ""
    if payload[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as z:
                names = set(z.namelist())
                if "xl/workbook.xml" not in names:
                    return "workbook" if suffix in WORKBOOK_SUFFIXES else ""
                if not _small_props(z):
                    return "workbook"  # abnormal: merge checks it within the input limits and says why
                if xlsxfast.read_custom_props(z).get("ccpkh_format") == FORMAT:
                    return "return"
                info = z.getinfo("xl/workbook.xml")
                if info.file_size < 5_000_000 and f'name="{META_SHEET}"'.encode() in z.read(info):
                    return "return"
                return "workbook"
        except Exception:  # noqa: BLE001 - a damaged zip: a workbook only if named like one
            return "workbook" if suffix in WORKBOOK_SUFFIXES else ""
    return "workbook" if suffix in WORKBOOK_SUFFIXES else ""


def safe_name(name: str | None, default: str = "tep_dinh_kem.xlsx") -> str:
    """An attachment's name fit to save: its last path part only, no control or reserved
    characters, no leading dots, at most MAX_NAME characters with its extension kept."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = re.sub(r'[<>:"|?*\s]+', " ", text).strip(" .")
    if not text or text in (".", ".."):
        text = default
    stem, suffix = os.path.splitext(text)
    stem, suffix = stem.rstrip(" ."), suffix[:10]
    return (stem[: MAX_NAME - len(suffix)].rstrip(" .") or "tep_dinh_kem") + suffix


def _save_attachments(
    mo: MessageOutcome,
    workbooks: list,
    folder: Path,
    seen_bytes: dict[str, ReceivedFile],
    records: Records,
    base: Path,
    period: str | None,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    for att, kind in workbooks:
        name = safe_name(att.filename)
        if Path(name).suffix.lower() not in WORKBOOK_SUFFIXES:
            name += ".xlsx"  # a workbook sent without its extension
        target = f"{mo.uid}_{name}"
        n = 2
        while target.casefold() in taken:
            target = f"{mo.uid}_{n}_{name}"
            n += 1
        taken.add(target.casefold())
        f = ReceivedFile(att.filename or name, folder / target, kind == "return")
        mo.files.append(f)
        f.path.write_bytes(att.payload)
        digest = hashlib.sha256(att.payload).hexdigest()
        if digest in seen_bytes:
            first = seen_bytes[digest]
            f.duplicate = (
                f"cùng nội dung với tệp {first.path.name} trong thư khác của lần nhận này; không tổng hợp hai lần"
            )
        elif f.is_return:
            f.duplicate = _received_before(att.payload, digest, records, base)
            if period and not f.duplicate:
                f.deferred = _period_elsewhere(att.payload, period)
        seen_bytes.setdefault(digest, f)


def _small_props(z: zipfile.ZipFile) -> bool:
    """The file's property parts are of a normal size (zipfile reads no more than declared)."""
    return all(
        i.file_size <= PROPS_MAX for i in z.infolist() if i.filename in ("docProps/custom.xml", "docProps/core.xml")
    )


def _identity(payload: bytes) -> tuple[str, str, datetime | None]:
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as z:
            if not _small_props(z):
                return "", "", None
            props = xlsxfast.read_custom_props(z)
            return props.get("ccpkh_unit", ""), props.get("ccpkh_period", ""), xlsxfast.read_modified(z)
    except Exception:  # noqa: BLE001
        return "", "", None


def _received_before(payload: bytes, digest: str, records: Records, base: Path) -> str:
    """Why this return is one already merged (the very same file mailed again), or ""."""
    unit, period, saved = _identity(payload)
    try:
        period = parse_period(period).label
    except CcpkhError:
        return ""
    stored = next(
        (r for r in records.returns if r.unit == unit and r.period == period and r.outcome in (MERGED, MERGED_WARN)),
        None,
    )
    if stored is None or stored.saved != saved:
        return ""
    for r in records.mail:
        if r.action == RECEIVE and r.file and Path(str(r.file)).name == stored.file:
            path = base / str(r.file)
            try:
                if hashlib.sha256(path.read_bytes()).hexdigest() == digest:
                    return (
                        f"phiếu này đã được tổng hợp trước đó (tệp {stored.file}, lưu lúc "
                        f"{saved:%d/%m/%Y %H:%M}); không tổng hợp lại"
                    )
            except OSError:
                return ""
    return ""


def _period_elsewhere(payload: bytes, period: str) -> str:
    _, label, _ = _identity(payload)
    try:
        label = parse_period(label).label
    except CcpkhError:
        return ""
    return f"phiếu kỳ {label}, lần này chỉ nhận kỳ {period}: để nguyên" if label != period else ""


def _reply(m: Master, s: MailSettings, result: CollectResult, now: datetime) -> None:
    """Answer each processed message's sender with what became of each workbook it carried."""
    items = []
    for mo in result.messages:
        if not mo.processed or not mo.reply_to:
            continue
        lines = []
        for f in mo.files:
            if f.outcome in (MERGED, MERGED_WARN):
                rows = len(f.merge.rows) if f.merge else 0
                line = f"- Tệp {f.name}: đã tổng hợp ({rows} dòng)."
                if f.reason:
                    line += f" Lưu ý: {f.reason}."
            elif f.outcome == DUPLICATE:
                line = f"- Tệp {f.name}: {f.reason}."
            elif f.outcome == SUPERSEDED:
                line = f"- Tệp {f.name}: không dùng ({f.reason})."
            else:
                line = f"- Tệp {f.name}: bị từ chối. Lý do: {f.reason} Đề nghị điền vào phiếu gốc đã nhận và gửi lại."
            lines.append(line)
        subject = mo.subject if mo.subject.lower().startswith("re:") else f"Re: {mo.subject}".strip()
        body = (
            f"Kính gửi Quý cơ quan,\n\nĐã nhận thư gửi lúc {now:%H:%M ngày %d/%m/%Y}. Kết quả tiếp nhận phiếu báo cáo:\n"
            + "\n".join(lines)
            + "\n\nThư này được gửi tự động từ sổ theo dõi.\n"
            + s.organization
        )
        units = {f.merge.unit for f in mo.files if f.merge and f.merge.unit}
        d = Delivery(", ".join(sorted(units)), "", [mo.reply_to], REPLY)
        items.append((d, _message(s, [mo.reply_to], subject, body, in_reply_to=mo.message_id, auto="auto-replied"), mo))
    if not items:
        return
    smtp = _Smtp(s)
    try:
        smtp.open()
        _send_all(smtp, [(d, msg) for d, msg, _ in items])
    except MailError as exc:
        for d, _, _ in items:
            d.error = str(exc)
    finally:
        smtp.close()
    records = m.records
    for d, _, mo in items:
        result.replies.append(d)
        outcome = _outcome(d, f"trả lời thư {mo.message_id}")
        records.mail.append(MailRow(now, d.unit, _period_of(mo), REPLY, d.addresses[0], d.message_id, "", outcome))
    failed = [d for d in result.replies if d.error]
    m.log(
        REPLY + " thư",
        [],
        f"{len(result.replies) - len(failed)} thư trả lời đã gửi" + (f"; {len(failed)} thư lỗi" if failed else ""),
    )
    m.save(records=records)


def _period_of(mo: MessageOutcome) -> str:
    return next((f.merge.period for f in mo.files if f.merge and f.merge.period), "")


__all__ = [
    "MailError",
    "MailSettings",
    "store_password",
    "send_forms",
    "SendResult",
    "collect_returns",
    "CollectResult",
    "MessageOutcome",
    "ReceivedFile",
    "send_reminders",
    "RemindResult",
    "Delivery",
    "split_addresses",
    "safe_name",
    "fill_template",
]
