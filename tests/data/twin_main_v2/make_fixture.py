"""Written with main's writer (d2dde56): a small twin whose anatomy holds a whole-valued CT
(float32) and a plane image with fractions, for tests/io/test_twin_int16.py."""
import dataclasses
import sys

import numpy as np

from twinviewer.core.anatomy import Anatomy, ImagePlane, ImageVolume
from twinviewer.io.twinfile import save_twin
from twinviewer.twins import twin_from_preset

ct = (np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5) * 37 % 2000 - 1000).astype(np.float32)
plane = np.linspace(0.0, 1.0, 12, dtype=np.float32).reshape(1, 1, 3, 4)
twin = twin_from_preset("healthy", n=3, seed=0)
an = Anatomy(twin.pseudonym, image=ImageVolume(ct, np.eye(4), (1.0, 1.0, 1.0), [0.0, 400.0],
                                                0, 1, "CT", "fixture"),
             planes=[ImagePlane("4ch", ImageVolume(plane, np.eye(4), (1.0, 1.0, 1.0),
                                                   [0.0], 0, 0, "MR", "plane"))])
twin = dataclasses.replace(twin, anatomy=an)
save_twin(sys.argv[1], twin)
