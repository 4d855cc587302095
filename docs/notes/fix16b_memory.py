"""fix16b: memory of a reopened .twin — the image array's bytes and the process's peak RSS
after :func:`~twinviewer.io.twinfile.load_twin`, with this code (int16 kept) or, with
``--float32``, the reader of before (every image turned into float32), one process per run::

    python docs/notes/fix16b_memory.py FILE.twin [--float32]
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from twinviewer.core import anatomy

if "--float32" in sys.argv:  # the reader before fix16b
    _from_dict = anatomy.ImageVolume.from_dict.__func__

    def _old(cls, d):
        return _from_dict(cls, {**d, "array": np.asarray(d["array"], dtype=np.float32)})

    anatomy.ImageVolume.from_dict = classmethod(_old)

from twinviewer.io.twinfile import load_twin  # noqa: E402

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
doc = load_twin(sys.argv[1])
dt = time.perf_counter() - t0
img = doc.twin.anatomy.image.array
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{'float32' if '--float32' in sys.argv else 'kept'}: image {img.dtype} "
      f"{img.nbytes / 1e6:.1f} MB, peak RSS {peak / 1024:.0f} MB (before loading "
      f"{before / 1024:.0f} MB), load {dt:.2f} s")
