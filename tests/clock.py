"""Run the whole suite at another time: `pytest --clock=+365d` or `--clock=2027-12-05T23:59`.

Tests must pass on any day. This plugin proves it: it moves the clock of the test process
(time-machine, ticking from the chosen instant) before anything is imported, signed or stamped,
and hands the same offset to every Python process the tests start (`tracker run`, gunicorn,
`tracker` commands) through `tests/clock_site/sitecustomize.py`. PostgreSQL, Redis, nginx and
the browser keep the real time; the tracker stamps every time itself, in Python.

`--clock` takes `+Nd` / `-Nd` (days from now), or an ISO date and time (naive means London
time, so `2027-12-05T23:59` is a Sunday one minute before the ISO week ends). The
`TRACKER_TEST_CLOCK` environment variable does the same as the option.
"""

from __future__ import annotations

import os
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

OFFSET_VARIABLE = "TRACKER_TEST_CLOCK_OFFSET_S"
SITE = Path(__file__).resolve().parent / "clock_site"
_LONDON = ZoneInfo("Europe/London")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get("TRACKER_TEST_CLOCK", ""),
        help="run the suite with the clock at this time: +365d, -30d or 2027-12-05T23:59 "
        "(London time when no offset is given)",
    )


def offset_seconds(value: str, now: float) -> float:
    """Seconds to add to `now` (a Unix time) for the clock `value` names."""
    days = re.fullmatch(r"([+-]\d+)d", value.strip())
    if days:
        return timedelta(days=int(days[1])).total_seconds()
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_LONDON)
    return moment.timestamp() - now


def pytest_configure(config: pytest.Config) -> None:
    value = config.getoption("--clock")
    if not value:
        return
    offset = offset_seconds(value, time.time())
    traveller = time_machine.travel(time.time() + offset, tick=True)
    traveller.start()
    config.stash[_KEY] = traveller
    # Processes the tests start move their clocks by the same offset.
    os.environ[OFFSET_VARIABLE] = repr(offset)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(SITE), *filter(None, [os.environ.get("PYTHONPATH")])]
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("--clock"):
        return f"clock: {datetime.now(_LONDON).isoformat(timespec='seconds')} (London)"
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_KEY, None)
    if traveller is not None:
        traveller.stop()


_KEY = pytest.StashKey[time_machine.travel]()
