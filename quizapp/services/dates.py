"""Calendar arithmetic the rules need (month windows), without a dependency."""

import calendar
import datetime as dt
from functools import lru_cache


@lru_cache(maxsize=65536)  # pure; dashboards ask for the same few hundred dates thousands of times
def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), clamped to the month's end: 31 Jan + 1 = 28/29 Feb."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
