"""Times of day in words and back: ``HH:MM`` for seconds from local midnight of a run's date.

One reading everywhere: the films' clock, ``twin animate`` and ``twin report --from/--to``,
the report's text and the demo. A time on a later day than the run's date reads
``01:30 (+1 d)``; a midnight that *ends* a window reads ``24:00`` of the day it ends
(``end=True``), so a film from 15:00 to midnight says "15:00 to 24:00", not "to 00:00 (+1 d)".
"""

from __future__ import annotations

import math
import re

from twin._errors import TwinError
from twin.engine.sun import DAY_S

__all__ = ["DAY_S", "clock", "parse_clock"]

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def clock(seconds: float | None, *, end: bool = False) -> str:
    """``HH:MM`` of a time in seconds from midnight, with ``(+1 d)`` on a later day; ``-`` for none.

    Parameters
    ----------
    seconds
        Seconds from local midnight of the run's date (past 86400 on the next day); rounded
        to the second, then the minute under way is shown.
    end
        The time ends a window: a midnight reads ``24:00`` of the day that ends, not
        ``00:00`` of the next.

    Examples
    --------
    >>> clock(54000), clock(86400), clock(86400, end=True), clock(93600)
    ('15:00', '00:00 (+1 d)', '24:00', '02:00 (+1 d)')
    """
    if seconds is None or not math.isfinite(seconds):
        return "-"
    total = int(round(seconds))
    day, rest = divmod(total, int(DAY_S))
    if end and rest == 0 and total > 0:
        day, rest = day - 1, int(DAY_S)
    return f"{rest // 3600:02d}:{rest % 3600 // 60:02d}" + (f" ({day:+d} d)" if day else "")


def parse_clock(text: str, *, option: str) -> float:
    """Seconds after midnight, in ``[0, 86400)``, of a ``HH:MM`` time of day (``24:00`` is midnight too).

    Which day the time falls on is for the caller to say
    (:func:`twin.viz.film.animate.film_window` takes the first such time in a run).

    Raises
    ------
    TwinError
        Naming ``option`` if ``text`` is not such a time.
    """
    match = _CLOCK.match(str(text))
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59) and (hours, minutes) != (24, 0):
        raise TwinError(f"{option} {text}: not a time of day; write HH:MM, e.g. {option} 18:00")
    return float(hours * 3600 + minutes * 60) % DAY_S
