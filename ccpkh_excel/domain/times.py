"""One rule for dates and times.

Everything the tool stores or compares is **local time of this computer, without a time
zone** (the office's clock: due dates, "Nhận lúc", "Lưu lúc", Nhật ký). Office files keep
their save time (docProps/core.xml ``dcterms:modified``) in W3C format, in UTC with a "Z";
those are converted to local time when read, and local times are converted to UTC when
written. Nothing is written with a "Z" that is not UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime


def now() -> datetime:
    """Local time now, to the second."""
    return datetime.now().replace(microsecond=0)


def today() -> date:
    return date.today()


def local(moment: datetime) -> datetime:
    """A time as local, naive, to the second; aware times are converted, naive ones kept."""
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(microsecond=0)


def from_w3cdtf(text: str) -> datetime | None:
    """A W3CDTF time from an Office file ("2026-04-02T01:00:00Z") as local time.

    A time without a zone is taken as UTC, as Office writes it."""
    text = (text or "").strip()
    if not text:
        return None
    text = re.sub(r"Z$", "+00:00", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return local(moment)


def to_w3cdtf(moment: datetime) -> str:
    """A local (naive) or aware time as Office writes it: UTC with "Z"."""
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive = local
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def from_timestamp(seconds: float) -> datetime:
    """A file system time (seconds since the epoch) as local time."""
    return datetime.fromtimestamp(seconds).replace(microsecond=0)
