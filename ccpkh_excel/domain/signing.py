"""Signed forms: what proves a returned form is the one this master sent, unchanged.

Each plan has a secret (`new_secret`), kept only in its master — never in a form, never
printed. A form carries, for each task row, an HMAC-SHA256 of the row's locked cells bound to
the plan, unit and period (`row_mac`), and one HMAC over its identity — format, version, plan,
unit, period, return date — and all its row MACs in order (`identity_mac`). Without the
secret nobody can make a valid MAC: a form relabelled as another unit, copied from another
plan, with its metadata or row MACs rewritten, is rejected whole; a row whose visible locked
cells no longer match its MAC is named and not applied.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

SEP, REC = "\x1f", "\x1e"


def new_secret() -> str:
    return secrets.token_hex(32)


@functools.lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    return bytes.fromhex(secret)


def _mac(secret: str, text: str) -> str:
    return hmac.digest(_key(secret), text.encode("utf-8"), hashlib.sha256).hex()


def row_mac(secret: str, plan_id: str, unit: str, period: str, locked: list[str]) -> str:
    """MAC of one task row's locked cells (Mã NV, STT, Nội dung, Vai trò, Thời gian hoàn thành)."""
    return _mac(secret, REC.join(["row", plan_id, unit, period, SEP.join(locked)]))


def identity_mac(secret: str, identity: dict[str, str], macs: list[str]) -> str:
    """MAC over the form's identity and every row MAC, in order."""
    keys = ("format", "version", "plan", "unit", "period", "due", "rows")
    return _mac(secret, REC.join(["form", *(f"{k}={identity.get(k, '')}" for k in keys), *macs]))


def same(a: str, b: str) -> bool:
    """Compare MACs in constant time."""
    return hmac.compare_digest(a or "", b or "")
