"""Move this process's clock by the offset the test run chose (see `tests/clock.py`).

Only on the PYTHONPATH of processes started by a test run with `--clock`."""

import os

_offset = os.environ.get("TRACKER_TEST_CLOCK_OFFSET_S")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
