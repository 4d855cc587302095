"""A population of saved twins: every ``*.twin`` file of a folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twinviewer.cohort.spec import CohortSpec, SpecError


def load_twin_population(spec: CohortSpec, contexts: list[dict] | None = None
                         ) -> tuple[str, list[str], list[np.ndarray], dict[str, np.ndarray],
                                    str]:
    """Load the twins of ``spec.twins``; ``contexts``, if given, receives each twin's
    interval context (:class:`~twinviewer.personalize.shown.IntervalContext` as a dict, {}
    for a twin not calibrated), so its intervals are the ones the app shows for it.

    Returns
    -------
    model_name, ids, ensembles, features, digest
        Pseudonyms, each twin's first ``spec.members`` ensemble members, the parameters that
        differ between twins (``param:NAME`` → values) and a SHA-256 over the files (so a
        changed folder never resumes an older run).

    Raises
    ------
    SpecError
        No twins, a file that does not load (named), or twins of different models.
    """
    import hashlib

    from twinviewer.io.errors import TwinFileError
    from twinviewer.io.twinfile import load_twin
    from twinviewer.physiology import ModelError
    from twinviewer.twins import model_of

    folder = Path(spec.twins or "")
    files = sorted(folder.glob("*.twin"))
    if not files:
        raise SpecError("population.twins: the folder given holds no .twin files")
    h = hashlib.sha256()
    ids, ens, points, model_name = [], [], [], None
    for f in files:
        data = f.read_bytes()
        h.update(hashlib.sha256(data).digest())
        try:
            twin = load_twin(f).twin
            model = model_of(twin)
        except (TwinFileError, ModelError, OSError) as exc:
            raise SpecError(f"population.twins: {f.name}: {exc}") from None
        from twinviewer.physiology import MODELS

        if model is not MODELS.get(model.name):
            # the runner runs the installed version: never a twin's ensemble on other equations
            raise SpecError(f"population.twins: {f.name} was made with {model.name} "
                            f"v{model.version}, not the installed v"
                            f"{MODELS[model.name].version}; a cohort runs on the installed "
                            f"model: re-calibrate the twin or make the cohort in the version "
                            f"it was made with")
        if model_name not in (None, model.name):
            raise SpecError(f"population.twins: {f.name} uses model {model.name}, the others "
                            f"{model_name}; a cohort needs one model")
        model_name = model.name
        ids.append(twin.pseudonym)
        if contexts is not None:
            from twinviewer.personalize.shown import context_of_twin

            ctx = context_of_twin(twin)
            contexts.append({} if ctx is None else ctx.to_dict())
        ens.append(np.asarray(twin.ensemble, dtype=float)[:spec.members])
        points.append(np.asarray(twin.params, dtype=float))
    from twinviewer.physiology import MODELS

    P = np.vstack(points)
    names = MODELS[model_name].parameter_names
    varying = np.ptp(P, axis=0) > 0
    features = {f"param:{names[j]}": P[:, j] for j in np.flatnonzero(varying)}
    return model_name, ids, ens, features, h.hexdigest()
