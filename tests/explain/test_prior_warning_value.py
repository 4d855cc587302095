"""Two warnings on one parameter say which value each is (review8 #11: "SYS.C_AR = 0.5 …
beyond 99 %" beside "median 0.85 (0.63–1.1)")."""

from __future__ import annotations

import numpy as np

from twinviewer.explain.validity import parameter_warnings
from twinviewer.twins import model_of, twin_from_preset


def test_prior_warning_names_the_point_estimate_and_the_members_median():
    twin = twin_from_preset("severe_as", n=20, seed=1)
    model = model_of(twin)
    j = model.index("SYS.C_AR")
    twin.params = np.array(twin.params, dtype=float)
    twin.params[j] = 0.2 * float(np.median(twin.ensemble[:, j]))  # far below the prior
    (w,) = [x for x in parameter_warnings(twin, model) if x.subject == "SYS.C_AR"]
    assert "the twin's point estimate of systemic arterial compliance = " in w.text
    median = float(np.median(twin.ensemble[:, j]))
    assert f"the median of its 20 members is {median:.2g}"[:40] in w.text
