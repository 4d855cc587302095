"""Explanations: sensitivities, attribution, provenance, validity, model cards."""
