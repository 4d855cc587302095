"""Shared imaging fixtures: one small demo study written once per test session."""

from __future__ import annotations

import pytest

from twinviewer.imaging.demo import DemoStudy, write_demo_study

# Small but anatomically resolved: 60 slices of 110 x 110 at 2.7 x 1.4 x 1.4 mm (FOV ~154 mm).
DEMO_SHAPE = (60, 110, 110)
DEMO_SPACING = (2.7, 1.4, 1.4)


@pytest.fixture(scope="session")
def demo_study(tmp_path_factory: pytest.TempPathFactory) -> DemoStudy:
    """The synthetic gated CT (ED + ES, one series) with one DICOM SEG per phase.

    Shared by the imaging tests; treat the files as read-only (copy before modifying).
    """
    return write_demo_study(tmp_path_factory.mktemp("demo_study"), shape=DEMO_SHAPE,
                            spacing=DEMO_SPACING, seed=0)
