"""fix16b: one autosave's time (:meth:`~twinviewer.io.autosave.Autosaver.autosave`: the
.twin's bytes and their atomic write) of the twin in FILE, with the JSON members written
indented (``indent=1``, as before) and compact (this code), interleaved, REPEATS each::

    python docs/notes/fix16b_autosave_time.py FILE.twin [REPEATS]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from twinviewer.io import twinfile
from twinviewer.io.autosave import Autosaver
from twinviewer.io.twinfile import load_twin


def indented(obj):  # the writer before fix16b
    return json.dumps(obj, indent=1, ensure_ascii=False).encode("utf-8")


compact = twinfile._json_bytes
doc = load_twin(sys.argv[1])
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
times: dict[str, list[float]] = {"indent=1": [], "compact": []}
json_s: dict[str, list[float]] = {"indent=1": [], "compact": []}
with tempfile.TemporaryDirectory() as tmp:
    saver = Autosaver(Path(tmp))
    for _ in range(repeats):
        for name, fn in (("indent=1", indented), ("compact", compact)):
            spent = []

            def timed(obj, fn=fn, spent=spent):
                t = time.perf_counter()
                out = fn(obj)
                spent.append(time.perf_counter() - t)
                return out

            twinfile._json_bytes = timed
            t0 = time.perf_counter()
            path = saver.autosave(doc.twin, audit=doc.audit)
            times[name].append(time.perf_counter() - t0)
            json_s[name].append(sum(spent))
    size = os.path.getsize(path)
twinfile._json_bytes = compact
print(f"file {size / 1e6:.1f} MB, load {os.getloadavg()[0]:.1f}")
for name in times:
    print(f"{name:9s} autosave median {statistics.median(times[name]):.3f} s "
          f"(min {min(times[name]):.3f}, max {max(times[name]):.3f}); JSON "
          f"median {statistics.median(json_s[name]) * 1e3:.0f} ms")
