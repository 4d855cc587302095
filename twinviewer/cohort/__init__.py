"""Cohorts: one pipeline over many twins, real (a folder of .twin files) or virtual.

* :mod:`~twinviewer.cohort.spec` — the YAML study spec (population, members, scenarios,
  metrics), validated with messages naming the field;
* :mod:`~twinviewer.cohort.population` — virtual populations (a preset with correlated
  parameter distributions, seeded) and per-patient ensembles;
* :mod:`~twinviewer.cohort.work` — one chunk of patients × members: baseline, scenarios,
  paired differences (pure numpy, no Dask);
* :mod:`~twinviewer.cohort.runner` — the chunks on Dask (embedded ``LocalCluster`` or an
  existing scheduler), persisted per chunk so an interrupted run resumes;
* :mod:`~twinviewer.cohort.responders` — which patient features predict benefit;
* :mod:`~twinviewer.cohort.plots` — distributions and responder curves as PNG/PDF.

Only the runner imports Dask, and only when a cohort is run: nothing else of the app needs it.
"""
