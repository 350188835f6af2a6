"""Real mail servers on loopback for the tests: Dovecot (IMAP) and aiosmtpd (SMTP).

`MailServers.start()` writes a Dovecot configuration into a temporary folder (passwd-file
users, Maildir mailboxes in the same folder, listeners on 127.0.0.1 and free ports), starts
`dovecot -F` and, as another process, this file's SMTP server (aiosmtpd), whose handler
delivers each message into the recipients' Maildirs (written to tmp/, then moved to new/, so
Dovecot sees whole messages only). `stop()` ends both by their pid.

With `cryptography` installed, both also speak TLS with a self-signed certificate for
127.0.0.1 (`cert`): Dovecot STARTTLS on the IMAP port and implicit TLS on `imaps_port`;
aiosmtpd STARTTLS on the main SMTP port. A second SMTP port (`small_port`) refuses messages
over `SMALL_LIMIT` bytes. A recipient whose address starts with "ngat." has the server
close the session (421) the first time a message is sent to it: the client must reconnect.

    python tests/mailservers.py smtp --root R --port P --small-port Q --owner UID:GID [--cert C --key K]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SMALL_LIMIT = 8000  # bytes accepted by the second SMTP port


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)), None
    )


def require_servers() -> None:
    """Skip (or, where CI says they are installed, fail) when Dovecot or aiosmtpd are missing."""
    import os

    import pytest

    missing = None
    if not dovecot_binary():
        missing = "Dovecot is not installed (apt-get install dovecot-imapd)"
    else:
        try:
            import aiosmtpd  # noqa: F401
        except ImportError:
            missing = "aiosmtpd is not installed (pip install aiosmtpd)"
    if missing:
        if os.environ.get("CCPKH_REQUIRE_DOVECOT") == "1":
            pytest.fail(f"CCPKH_REQUIRE_DOVECOT=1 but {missing}")
        pytest.skip(missing)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str, log: Path | None = None, limit: float = 15.0) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc.poll() is not None:
            detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with {proc.returncode}: {detail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {limit:g} s")


def make_certificate(folder: Path) -> tuple[Path, Path] | None:
    """A self-signed certificate for 127.0.0.1 and localhost, or None without `cryptography`."""
    try:
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        return None
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
mail_location = maildir:~/Maildir
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
"""


class MailServers:
    """Dovecot and aiosmtpd for one test session (see the module's docstring)."""

    def __init__(self, root: Path):
        self.root = root
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.smtp_port = free_port()
        self.small_port = free_port()
        self.cert: Path | None = None
        self.dovecot: subprocess.Popen | None = None
        self.smtp: subprocess.Popen | None = None
        self.users: dict[str, str] = {}
        if os.geteuid() == 0:  # Dovecot never reads mail as root: the mailboxes belong to nobody
            import pwd

            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
            self.internal, self.login = "dovecot", "dovenull"
        else:
            import pwd

            self.uid, self.gid = os.getuid(), os.getgid()
            self.internal = self.login = pwd.getpwuid(self.uid).pw_name

    # -- life -------------------------------------------------------------------------------
    @classmethod
    def start(cls, users: dict[str, str] | None = None) -> MailServers:
        """The servers, with the IMAP accounts `users` (address → password) ready."""
        binary = dovecot_binary()
        if not binary:
            raise RuntimeError("Dovecot is not installed (apt-get install dovecot-imapd)")
        root = Path(tempfile.mkdtemp(prefix="ccpkh-mail-"))
        root.chmod(0o755)  # the mail processes (nobody) walk into it
        servers = cls(root)
        servers.users = dict(users or {})
        try:
            servers._start_dovecot(binary)
            servers._start_smtp()
        except BaseException:
            servers.stop()
            raise
        return servers

    def _start_dovecot(self, binary: str) -> None:
        root = self.root
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir()
        os.chown(root / "mail", self.uid, self.gid)
        lines = [f"{a}:{{PLAIN}}{p}::::::\n" for a, p in self.users.items()]
        (root / "users").write_text("".join(lines), encoding="utf-8")
        pair = make_certificate(root)
        if pair:
            self.cert = pair[0]
            tls = f"ssl = yes\nssl_cert = <{pair[0]}\nssl_key = <{pair[1]}"
        else:
            tls = "ssl = no"
        conf = root / "dovecot.conf"
        conf.write_text(
            DOVECOT_CONF.format(
                root=root,
                ssl=tls,
                internal=self.internal,
                login=self.login,
                uid=self.uid,
                gid=self.gid,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port if pair else 0,
            ),
            encoding="utf-8",
        )
        self.dovecot = subprocess.Popen(
            [binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=open(root / "dovecot.err", "wb")
        )
        wait_port(self.imap_port, self.dovecot, "dovecot", root / "dovecot.err")

    def _start_smtp(self) -> None:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "smtp",
            "--root",
            str(self.root),
            "--port",
            str(self.smtp_port),
            "--small-port",
            str(self.small_port),
            "--owner",
            f"{self.uid}:{self.gid}",
        ]
        if self.cert:
            cmd += ["--cert", str(self.cert), "--key", str(self.root / "key.pem")]
        log = self.root / "smtp.log"
        self.smtp = subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        wait_port(self.smtp_port, self.smtp, "aiosmtpd", log)
        wait_port(self.small_port, self.smtp, "aiosmtpd", log)

    def stop(self) -> None:
        for proc in (self.smtp, self.dovecot):
            if proc is None or proc.poll() is not None:
                continue
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    # -- mailboxes ----------------------------------------------------------------------------
    def add_user(self, address: str, password: str) -> None:
        """Another IMAP account (Dovecot re-reads the passwd-file when it changes)."""
        self.users[address] = password
        with open(self.root / "users", "a", encoding="utf-8") as fh:
            fh.write(f"{address}:{{PLAIN}}{password}::::::\n")
        time.sleep(1.1)  # Dovecot looks at the file at most once a second: let it see the new account

    def maildir(self, address: str) -> Path:
        return self.root / "mail" / address.lower() / "Maildir"

    def messages(self, address: str) -> list[email.message.EmailMessage]:
        """The messages delivered to `address` (its INBOX, new and seen), oldest first."""
        folder = self.maildir(address)
        files = [f for sub in ("new", "cur") if (folder / sub).is_dir() for f in (folder / sub).iterdir()]
        files.sort(key=lambda f: f.name)
        return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]

    def all_bytes(self) -> bytes:
        """Every file of every mailbox, and the servers' logs: to look for what must never be there."""
        out = []
        for f in sorted(self.root.rglob("*")):
            if f.is_file() and f.name not in ("users", "key.pem") and "run" not in f.relative_to(self.root).parts:
                try:
                    out.append(f.read_bytes())
                except OSError:
                    pass
        return b"\n".join(out)

    def send(self, msg: email.message.EmailMessage) -> None:
        """Deliver a message as a unit's own mail program would (no login)."""
        import smtplib

        with smtplib.SMTP("127.0.0.1", self.smtp_port, "localhost", timeout=10) as s:
            s.send_message(msg)


# --- the SMTP server process ---------------------------------------------------------------------
class Deliver:
    """aiosmtpd handler: each message into every recipient's Maildir."""

    def __init__(self, root: Path, owner: tuple[int, int]):
        self.root, self.owner = root, owner
        self.counter = itertools.count()
        self.dropped: set[str] = set()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        for rcpt in envelope.rcpt_tos:
            if rcpt.lower().startswith("ngat.") and rcpt.lower() not in self.dropped:
                self.dropped.add(rcpt.lower())
                return "421 4.3.0 Máy chủ tạm đóng phiên (thử nghiệm)"
        content = envelope.original_content or envelope.content
        for rcpt in envelope.rcpt_tos:
            self.write(rcpt.lower(), content)
        return "250 2.0.0 OK"

    def _mkdir(self, path: Path) -> None:
        missing = []
        while not path.exists():
            missing.append(path)
            path = path.parent
        for p in reversed(missing):
            p.mkdir(mode=0o700)
            if os.geteuid() == 0:
                os.chown(p, *self.owner)

    def write(self, rcpt: str, content: bytes) -> None:
        folder = self.root / "mail" / rcpt / "Maildir"
        for sub in ("tmp", "new", "cur"):
            self._mkdir(folder / sub)
        with self.lock:
            n = next(self.counter)
        name = f"{time.time_ns()}.P{os.getpid()}Q{n}.ccpkh"
        tmp = folder / "tmp" / name
        with open(tmp, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        if os.geteuid() == 0:
            os.chown(tmp, *self.owner)
        os.rename(tmp, folder / "new" / name)


def _authenticator(root: Path):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        for line in (root / "users").read_text(encoding="utf-8").splitlines():
            user, _, rest = line.partition(":")
            if user == login and rest.split("::")[0] == "{PLAIN}" + password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    return check


def serve_smtp(argv: list[str]) -> None:
    from aiosmtpd.controller import Controller

    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--small-port", type=int, required=True)
    ap.add_argument("--owner", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args(argv)
    uid, gid = (int(x) for x in args.owner.split(":"))
    handler = Deliver(args.root, (uid, gid))
    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)
    common = {"authenticator": _authenticator(args.root), "auth_require_tls": False, "hostname": "127.0.0.1"}
    main = Controller(
        handler, port=args.port, tls_context=tls, server_hostname="localhost", **common, command_call_limit=None
    )
    small = Controller(
        handler, port=args.small_port, data_size_limit=SMALL_LIMIT, server_hostname="localhost", **common
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    main.start()
    small.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        main.stop()
        small.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["smtp"]:
        serve_smtp(sys.argv[2:])
    else:
        sys.exit(__doc__)
