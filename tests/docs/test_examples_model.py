"""The docstring examples of the model layers (core, physiology, imaging, personalize,
interventions, explain, fhir) run and show what they say."""

from __future__ import annotations

import pytest

from tests.docs.examples import modules, run_examples


@pytest.mark.parametrize("name", modules((
    "twinviewer.core", "twinviewer.physiology", "twinviewer.imaging", "twinviewer.fhir")))
def test_examples_of_the_model_layers(name):
    run_examples(name)


@pytest.mark.parametrize("name", modules((
    "twinviewer.personalize", "twinviewer.interventions", "twinviewer.explain")))
def test_examples_of_personalisation_and_interventions(name):
    run_examples(name)
