"""Slice panes are titled by the plane's orientation: a cine stack's slice plane is the short
axis, not "Axial" (the pane's key stays ``axial``)."""

from __future__ import annotations

import dataclasses

import pytest


@pytest.fixture()
def window(make_twin_window):
    return make_twin_window(load_demo=True)


def test_pane_titles_follow_the_stack(window):
    s = window.slices
    assert s.panes["axial"].label.text().startswith("Axial ")  # the demo CT: true axial
    anatomy = window.state.twin.anatomy
    anatomy.image = dataclasses.replace(anatomy.image,
                                        description="cine_trufi_retro_sa_1 (+5 series)")
    s.refresh()
    assert s.panes["axial"].label.text().startswith("Short axis ")
