"""What every `ccpkh-excel` command shares: the console, the global --wait, dates typed as options."""

from __future__ import annotations

import sys
from datetime import date

import click
from rich.console import Console


def out() -> Console:
    wide = None if sys.stdout.isatty() else 150  # piped or captured: do not squeeze tables
    return Console(file=sys.stdout, soft_wrap=True, highlight=False, width=wide)


def err() -> Console:
    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def wait() -> float:
    """The global --wait, for the commands that change the master."""
    ctx = click.get_current_context()
    return float((ctx.find_root().obj or {}).get("wait") or 0)


def parse_day(value: str | None, what: str) -> date | None:
    """A date typed as an option (dd/mm/yyyy), or a click error naming the option."""
    if value is None:
        return None
    from ccpkh_excel.domain.values import read_date

    d = read_date(value)
    if not d:
        raise click.BadParameter(f"'{value}' không phải ngày (dd/mm/yyyy).", param_hint=what)
    return d
