"""Build plugin folders and installed-looking distributions for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

#: A bad model is the single-ventricle example with one function replaced (``{body}``).
BAD_MODEL = '''
from dataclasses import replace
import numpy as np
from tv_single_ventricle import model as sv

{body}

MODEL = replace(sv.MODEL, name="{model}", {fields})
'''


#: Four plug-in drugs that each lower SYS.R_AR by "fall" % — or fail: ``SLEEP`` hangs 30 s
#: (finite, so a guard that failed fails its test instead of hanging it), ``RAISE`` raises
#: "boom from raise_drug", ``NAN`` writes NaN; ``FINE`` works.
FAULTY_DRUGS = """
    import time

    import numpy as np

    from twinviewer.interventions.intervention import Intervention, Setting

    def _sleep(ctx, P, s):
        time.sleep(30)  # finite: a guard that failed fails the test, it does not hang it
        return P

    def _raise(ctx, P, s):
        raise RuntimeError("boom from raise_drug")

    def _nan(ctx, P, s):
        P[:, ctx.col("SYS.R_AR")] = np.nan
        return P

    def _fine(ctx, P, s):
        P[:, ctx.col("SYS.R_AR")] *= 1 - s["fall"] / 100
        return P

    def mk(name, fn):
        return Intervention(name=name, title=name, settings=(
            Setting("fall", "%", 20.0, (0.0, 50.0), "x (UNSOURCED)", label="Fall"),),
            description="test", evidence=(), assumptions=("test",), transform=fn,
            parameters=("SYS.R_AR",), main_setting="fall")

    SLEEP, RAISE, NAN, FINE = (mk("sleep_drug", _sleep), mk("raise_drug", _raise),
                               mk("nan_drug", _nan), mk("fine_drug", _fine))
    """

def plugin_folder(root: Path, name: str, module: str, code: str, *, kind: str = "models",
                  contribution: str = "", ref: str = "", api: int = 1) -> Path:
    """A plugin folder: ``twinviewer.toml`` and ``<module>.py`` holding ``code``."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / f"{module}.py").write_text(textwrap.dedent(code))
    (folder / "twinviewer.toml").write_text(
        f'name = "{name}"\nversion = "0.1"\napi_version = {api}\n\n'
        f'[[contributions.{kind}]]\nname = "{contribution or module}"\n'
        f'ref = "{ref or module + ":MODEL"}"\n')
    return folder


def bad_model(root: Path, name: str, body: str, fields: str) -> Path:
    """A plugin folder with a broken variant of the single-ventricle model."""
    module = name.replace("-", "_")
    code = BAD_MODEL.format(body=textwrap.dedent(body), model=module, fields=fields)
    return plugin_folder(root, name, module, code, contribution=module)


def installed(site: Path, dist: str, package: str, manifest: str, *, record: str = "a,b,c",
              init: str = "") -> Path:
    """An installed-looking distribution in ``site`` (dist-info with entry point and RECORD)."""
    pkg = site / package
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(init)
    (pkg / "twinviewer.toml").write_text(textwrap.dedent(manifest))
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[twinviewer.plugins]\n{dist} = {package}:twinviewer.toml\n")
    (info / "RECORD").write_text(record)
    return info


def manifest(name: str, *, api: int = 1, models: tuple[str, ...] = ()) -> str:
    text = f'name = "{name}"\nversion = "0.1"\napi_version = {api}\n'
    for m in models:
        text += f'\n[[contributions.models]]\nname = "{m}"\nref = "{name}_pkg.m:MODEL"\n'
    return text


def contribution_folder(root: Path, name: str, code: str, contributions: str) -> Path:
    """A plugin folder ``name`` with one module (``code``) and a manifest whose
    ``contributions`` tables are given as TOML text."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / f"{name.replace('-', '_')}.py").write_text(textwrap.dedent(code))
    (folder / "twinviewer.toml").write_text(
        f'name = "{name}"\nversion = "0.1"\napi_version = 1\n' + textwrap.dedent(contributions))
    return folder


def broken_preset_plugin(root: Path, error: str = "missing compiled part") -> Path:
    """``tv-broken-heart``: a plugin whose one preset (``broken_heart``, "A heart that cannot
    load") is in a module that raises ``ImportError(error)`` when imported."""
    return contribution_folder(root, "tv-broken-heart", f"raise ImportError({error!r})\n", """
        [[contributions.presets]]
        name = "broken_heart"
        ref = "tv_broken_heart:PRESET"
        display_name = "A heart that cannot load"
        """)
