"""A lone change keeps the digit that means something, as a change with its interval does
(session-15 note: ``format.delta()`` rounded to the step, fix15f fixed only ``change()``)."""

import pytest

from twinviewer.core.format import delta


@pytest.mark.parametrize("d, u, shown", [
    (-2.5, "mmHg", "-2.5 mmHg"),     # was "-2" (banker's rounding: 20 % off)
    (1.34, "mmHg", "+1.3 mmHg"),     # M-TEER's gradient rise, source +1.5
    (0.25, "L/min", "+0.25 L/min"),  # was "+0.2"
    (2.0, "mmHg", "+2 mmHg"),        # the extra digit would say nothing
    (11.2, "%", "+11 %-points"),     # ≥ 3 steps: the step is enough
    (-35.4, "mL", "-35 mL"),
])
def test_a_lone_change_keeps_its_meaningful_digit(d, u, shown):
    assert delta(d, u) == shown
