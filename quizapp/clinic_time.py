"""Times are stored in UTC and shown in the viewer's clinic's time zone, with its abbreviation.

Templates use the ``local_time`` and ``local_date`` filters; services that need "today" for a
clinic (a form's default date, a reminder's cut-off) use ``today_for``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import Flask, g, has_request_context
from flask_login import current_user

UTC = dt.UTC


@lru_cache(maxsize=256)
def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name``; UTC for an empty or unknown name (never an error on a page)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=1)
def zone_names() -> list[str]:
    return sorted(available_timezones())


def viewer_zone() -> ZoneInfo:
    """The viewer's clinic zone, looked up once per request: a dashboard formats a hundred dates,
    and each lookup through ``current_user`` cost more than the formatting."""
    if has_request_context() and "viewer_zone" in g:
        return g.viewer_zone
    clinic = getattr(current_user, "clinic", None) if current_user and current_user.is_authenticated else None
    found = zone(clinic.timezone if clinic else None)
    if has_request_context():
        g.viewer_zone = found
    return found


def to_local(value: dt.datetime, where: ZoneInfo | None = None) -> dt.datetime:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(where or viewer_zone())


def local_time(value: dt.datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """``value`` (naive UTC, as stored) in the viewer's clinic zone, e.g. "30 Nov 2026 09:15 GMT"."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{local.strftime(fmt)} {local.tzname()}"


def local_date(value: dt.datetime | dt.date | None, fmt: str = "%d %b %Y", zone_name: str | None = None) -> str:
    """The date in the viewer's clinic zone, or in ``zone_name`` (a page about one clinic's certificate
    shows that clinic's dates to every visitor)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value, zone(zone_name) if zone_name else None).date()
    return value.strftime(fmt)


def today_for(timezone_name: str | None, now: dt.datetime | None = None) -> dt.date:
    """Today's date in that zone (a clinic in Sydney starts its day hours before one in Dublin)."""
    now = now or dt.datetime.now(UTC)
    return to_local(now, zone(timezone_name)).date()


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_date, "local_date")
