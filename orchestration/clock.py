"""Beijing time: the one zone of everything a person reads (notices, summaries, alerts, reports)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

TIMEZONE = "Asia/Shanghai"
BEIJING = ZoneInfo(TIMEZONE)
ZONE_ZH = "北京时间"


def beijing(moment: datetime) -> datetime:
    """The moment in Beijing time; a naive datetime is UTC, as the warehouse stores times."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(BEIJING)


def beijing_text(moment: datetime, seconds: bool = False) -> str:
    """'2024-10-09 18:00 北京时间' (with seconds if asked)."""
    return beijing(moment).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" {ZONE_ZH}"


def now_text(seconds: bool = False) -> str:
    """The current time as `beijing_text` writes it."""
    return beijing_text(datetime.now(UTC), seconds)
