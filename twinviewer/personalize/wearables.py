"""Wearable time series (CSV) → summary measurements with uncertainty, and the series itself.

CSV layout (header row, comma-separated): ``time`` (ISO 8601 timestamp), ``heart_rate``
(bpm), ``systolic`` and ``diastolic`` (mmHg, optional together), ``weight`` (kg, optional).
Times are kept only as hours since the first reading.

Summary statistics: each quantity's mean over the series becomes a measurement whose SD is
``√(s²/n + b²)``: the standard error of the mean plus the device's systematic error ``b``
(wrist HR 2 bpm; cuff-type BP 5 mmHg, the mean-error bound of ISO 81060-2; scale 0.5 kg),
which does not average away. The twin models a resting beat, so a series taken during
activity will read high: the summary says how many readings and over what span it rests on.

Refused with a :class:`WearableError` naming the row and column: missing columns, empty cells
(gaps), unparsable numbers or times, times not increasing, a gap of more than
``MAX_GAP_HOURS`` between readings, impossible values (outside :data:`LIMITS`, systolic not
above diastolic), fewer than ``MIN_READINGS`` readings.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twinviewer.core.input_bytes import read_input_bytes
from twinviewer.core.measurement import Measurement

#: column → (measurement name, unit, plausible range, device systematic error)
COLUMNS = {
    "heart_rate": ("HR", "bpm", (25.0, 230.0), 2.0),
    "systolic": ("SBP", "mmHg", (60.0, 260.0), 5.0),
    "diastolic": ("DBP", "mmHg", (25.0, 150.0), 5.0),
    "weight": ("weight", "kg", (2.0, 350.0), 0.5),
}
LIMITS = {c: v[2] for c, v in COLUMNS.items()}
MAX_GAP_HOURS = 72.0
MIN_READINGS = 3
MAX_POINTS = 2000


class WearableError(ValueError):
    """A wearable file that cannot be used; the message names the row and column."""


@dataclass
class WearableSeries:
    """A parsed series: hours since the first reading and each column's values."""

    hours: np.ndarray
    values: dict[str, np.ndarray]
    name: str
    digest: str = ""

    @property
    def source(self) -> str:
        """Ledger source: ``'wearable:'`` + a digest of the file's content (a file name may
        identify, so it is not kept)."""
        return f"wearable:{self.digest or self.name}"

    def summary(self) -> list[Measurement]:
        """Mean of each quantity with its uncertainty (see the module docstring).

        >>> s = WearableSeries(np.arange(4.0), {"heart_rate": np.array([60., 62, 64, 66])}, "x")
        >>> m = s.summary()[0]
        >>> (m.name, m.value, round(m.uncertainty, 2))
        ('HR', 63.0, 2.38)
        """
        out = []
        for col, x in self.values.items():
            name, unit, _, bias = COLUMNS[col]
            sem = float(np.std(x, ddof=1)) / math.sqrt(x.size) if x.size > 1 else 0.0
            out.append(Measurement(name, float(np.mean(x)), unit, math.hypot(sem, bias),
                                   self.source))
        return out

    def to_dict(self) -> dict:
        """JSON-ready series for the timeline (at most ``MAX_POINTS`` points)."""
        step = max(1, math.ceil(self.hours.size / MAX_POINTS))
        return {"source": self.source, "hours": self.hours[::step].tolist(),
                **{COLUMNS[c][0]: v[::step].tolist() for c, v in self.values.items()},
                "summary": {m.name: [m.value, m.uncertainty, m.unit, int(self.hours.size)]
                            for m in self.summary()},
                "span_hours": float(self.hours[-1] - self.hours[0])}


def _time(text: str, where: str) -> _dt.datetime:
    try:
        t = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise WearableError(f"{where}: time {text!r} is not an ISO 8601 timestamp") from None
    return t.astimezone(_dt.UTC) if t.tzinfo else t.replace(tzinfo=_dt.UTC)


def read_wearable(source: str | Path | bytes, name: str = "") -> WearableSeries:
    """Parse and check a wearable CSV (see the module docstring).

    Examples
    --------
    >>> csv_text = b"time,heart_rate\\n2024-01-01T08:00,61\\n2024-01-01T09:00,64\\n" \\
    ...            b"2024-01-01T10:00,63\\n"
    >>> read_wearable(csv_text, "watch.csv").values["heart_rate"].tolist()
    [61.0, 64.0, 63.0]
    """
    raw, name = read_input_bytes(source, WearableError, name=name, default_name="wearable.csv")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WearableError(f"{name}: not a UTF-8 text file") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise WearableError(f"{name}: empty file")
    header = [h.strip().lower() for h in rows[0]]
    if "time" not in header or "heart_rate" not in header:
        raise WearableError(f"{name}: needs columns 'time' and 'heart_rate' (found "
                            f"{', '.join(header) or 'none'})")
    if ("systolic" in header) != ("diastolic" in header):
        raise WearableError(f"{name}: blood pressure needs both 'systolic' and 'diastolic'")
    unknown = [h for h in header if h != "time" and h not in COLUMNS]
    if unknown:
        raise WearableError(f"{name}: unknown column(s) {', '.join(unknown)} (known: time, "
                            f"{', '.join(COLUMNS)})")
    cols = [c for c in COLUMNS if c in header]
    times: list[_dt.datetime] = []
    vals: dict[str, list[float]] = {c: [] for c in cols}
    for r, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise WearableError(f"{name}, row {r}: {len(row)} cells, the header has "
                                f"{len(header)}")
        cells = dict(zip(header, (c.strip() for c in row), strict=True))
        t = _time(cells["time"], f"{name}, row {r}")
        if times and t <= times[-1]:
            raise WearableError(f"{name}, row {r}: time is not after the previous row's")
        if times and (t - times[-1]).total_seconds() / 3600 > MAX_GAP_HOURS:
            raise WearableError(f"{name}, row {r}: gap of "
                                f"{(t - times[-1]).total_seconds() / 3600:.0f} h after the "
                                f"previous reading (more than {MAX_GAP_HOURS:.0f} h: split the "
                                "file into visits)")
        times.append(t)
        for c in cols:
            if cells[c] == "":
                raise WearableError(f"{name}, row {r}: {c} is empty (a gap in the series; "
                                    "remove the row or fill it)")
            try:
                v = float(cells[c])
            except ValueError:
                raise WearableError(f"{name}, row {r}: {c} {cells[c]!r} is not a number") \
                    from None
            lo, hi = LIMITS[c]
            if not (math.isfinite(v) and lo <= v <= hi):
                raise WearableError(f"{name}, row {r}: {c} = {cells[c]} is impossible "
                                    f"(plausible {lo:g}–{hi:g} {COLUMNS[c][1]})")
            vals[c].append(v)
        if "systolic" in cols and vals["systolic"][-1] <= vals["diastolic"][-1]:
            raise WearableError(f"{name}, row {r}: systolic {vals['systolic'][-1]:g} is not "
                                f"above diastolic {vals['diastolic'][-1]:g}")
    if len(times) < MIN_READINGS:
        raise WearableError(f"{name}: {len(times)} reading(s); at least {MIN_READINGS} needed "
                            "for a summary with an uncertainty")
    hours = np.array([(t - times[0]).total_seconds() / 3600 for t in times])
    return WearableSeries(hours, {c: np.array(v) for c, v in vals.items()}, name,
                          hashlib.sha256(raw).hexdigest()[:10])
