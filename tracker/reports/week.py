"""The report's calendar: an ISO week, Monday 00:00 to the next Monday 00:00 in Europe/London
(so a week with a clock change is 167 or 169 hours long), and the units a report's times and
spans are shown in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tracker.errors import Invalid

LONDON = ZoneInfo("Europe/London")
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @classmethod
    def parse(cls, text: Any) -> Week:
        match = WEEK_PATTERN.match(text) if isinstance(text, str) else None
        if not match:
            raise Invalid({"week": "must be an ISO week such as 2026-W48"})
        year, number = int(match[1]), int(match[2])
        if not 2000 <= year <= 2100:
            raise Invalid({"week": "must be a week of a year from 2000 to 2100"})
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise Invalid({"week": f"{text} does not exist"}) from None
        return cls(year, number)

    @classmethod
    def containing(cls, day: date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """Monday 00:00 in London, as UTC."""
        return datetime.combine(self.monday, datetime.min.time(), LONDON).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 in London, as UTC: the end of Sunday."""
        return self.shifted(1).start

    def shifted(self, weeks: int) -> Week:
        return Week.containing(self.monday + timedelta(weeks=weeks))


def london(moment: datetime) -> datetime:
    """`moment` in London time: every time a report holds is shown as people there read it."""
    return moment.astimezone(LONDON)


def in_days(span: timedelta) -> float:
    """A span in days, to two decimal places (`1.5` for 36 hours)."""
    return round(span.total_seconds() / 86400, 2)
