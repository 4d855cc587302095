"""The docstring examples of the application layers (io, report, document, session, cohort,
teaching, plugins, gui, cli) run and show what they say."""

from __future__ import annotations

import pytest

from tests.docs.examples import modules, run_examples

_MODEL = ("twinviewer.core", "twinviewer.physiology", "twinviewer.imaging", "twinviewer.fhir",
          "twinviewer.personalize", "twinviewer.interventions", "twinviewer.explain")


@pytest.mark.parametrize("name", [p for p in modules(("twinviewer",))
                                  if not p.values[0].startswith(_MODEL)])
def test_examples_of_the_application_layers(name, qapp):
    run_examples(name)
