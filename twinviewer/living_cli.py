"""``twinviewer visit``, ``twinviewer fhir`` and ``twinviewer timeline``: the living twin headless.

``visit add`` and ``visit withdraw`` rewrite the .twin file atomically only when the whole
step succeeded; on any error the file is untouched and the message names the item.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from twinviewer import RESEARCH_USE
from twinviewer.core.consent import CONSENTS, ConsentError


def add_visit_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="visit_command", metavar="ACTION", required=True)
    a = sub.add_parser("add", help="add a visit: prediction check, then sequential update")
    a.add_argument("twin", help="the .twin file (rewritten in place on success)")
    src = a.add_mutually_exclusive_group(required=True)
    src.add_argument("--fhir", metavar="BUNDLE.json", help="FHIR R4 Bundle of Observations")
    src.add_argument("--measurements", metavar="FILE.json", help="measurement file")
    src.add_argument("--wearable", metavar="FILE.csv", help="wearable time series (CSV)")
    a.add_argument("--consent", default="treatment", choices=CONSENTS,
                   help="consent under which these data are used (default: treatment)")
    a.add_argument("--day", type=int, help="day offset from the first visit (default: from "
                   "the FHIR effective times, else the last visit + 1)")
    a.add_argument("-n", "--members", type=int, default=200, help="posterior ensemble size")
    a.add_argument("-o", "--output", help="write the updated twin here instead")
    a.add_argument("--accept-misfit", action="store_true",
                   help="keep the update even if the twin cannot reproduce a measurement")
    a.add_argument("--json", action="store_true", help="machine-readable output (errors too)")
    w = sub.add_parser("withdraw", help="withdraw a data source: remove its data, re-calibrate")
    w.add_argument("twin")
    w.add_argument("source", help="the source as listed by `twinviewer timeline`")
    w.add_argument("--reason", default="")
    w.add_argument("-o", "--output")
    r = sub.add_parser("recalibrate", help="re-calibrate every visit with the installed model "
                       "(the earlier model's results are kept beside the new ones)")
    r.add_argument("twin")
    r.add_argument("-o", "--output")


def add_fhir_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="fhir_command", metavar="ACTION", required=True)
    e = sub.add_parser("export", help="the twin's predictions, comparisons, report and "
                       "provenance as a FHIR R4 Bundle (JSON)")
    e.add_argument("twin")
    e.add_argument("-o", "--output", required=True)
    e.add_argument("--json", action="store_true", help="machine-readable output (errors too)")


def add_timeline_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("twin")
    p.add_argument("--json", action="store_true", help="print the timeline as JSON")


def _load(path: Path):
    from twinviewer.io.cli import _passphrase
    from twinviewer.io.twinfile import load_twin

    return load_twin(path, passphrase=_passphrase(path))


def _save(doc, twin, path: Path, passphrase: str | None, unchanged_since=None) -> None:
    """Write ``twin`` to ``path`` (``unchanged_since``: the file's stamp when it was read;
    another writer meanwhile, e.g. a TwinViewer Save, is never overwritten)."""
    from twinviewer.io.verified_save import save_twin_verified

    same_model = twin.equation_hash == doc.twin.equation_hash
    # the file's own parameter table unless the twin moved to the installed model; the new
    # bytes are loaded back before they replace the file (a bad write never loses the twin)
    save_twin_verified(path, twin, parameters=doc.parameters if same_model else None,
                       passphrase=passphrase, unchanged_since=unchanged_since)


def _errors():
    from twinviewer.fhir.codes import FhirError
    from twinviewer.io.errors import TwinFileError
    from twinviewer.personalize.calibrate import CalibrationError
    from twinviewer.personalize.measurements import MeasurementError
    from twinviewer.personalize.timeline import TimelineError
    from twinviewer.personalize.wearables import WearableError
    from twinviewer.physiology import ModelError

    return (FhirError, TwinFileError, CalibrationError, MeasurementError, TimelineError,
            WearableError, ConsentError, ModelError, ValueError, OSError)


def _report_dict(rep) -> dict:
    """A :class:`~twinviewer.living.VisitReport` as JSON-ready data."""
    return {"day": rep.day, "source": rep.source, "n_measurements": rep.n_measurements,
            "checked": rep.checked,
            "flags": [{**f.to_dict(), "text": f.text()} for f in rep.flags],
            "warnings": list(rep.warnings), "notes": list(rep.notes)}


def _fail(args: argparse.Namespace, path: Path, exc: Exception, unchanged: bool) -> int:
    """Report a refused command on stderr, or as one JSON object with ``--json``; exit 2."""
    from twinviewer.personalize.cli import refusal_text

    text = refusal_text(exc, args)
    if getattr(args, "json", False):
        print(json.dumps({"error": text, "file": path.name, "unchanged": unchanged,
                          "exit": 2}))
    else:
        print(f"error: {text}", file=sys.stderr)
        if unchanged:
            print(f"{path.name} is unchanged", file=sys.stderr)
    return 2


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (however spelt; ``a`` need not exist yet)."""
    import os

    try:
        return os.path.samefile(a, b) if a.exists() else a.resolve() == b.resolve()
    except OSError:
        return a == b


def run_visit(args: argparse.Namespace) -> int:
    """``twinviewer visit add|withdraw|recalibrate``; 0 done, 2 refused (file unchanged)."""
    from twinviewer import living
    from twinviewer.io.cli import _passphrase

    path = Path(args.twin)
    out = Path(args.output) if getattr(args, "output", None) else path
    from twinviewer.io.disk_stamp import DiskStamp

    try:
        passphrase = _passphrase(path)
        # written back: never over another writer's save made while this runs
        # (the same file however spelt: -o /abs/p.twin, a symlink; final14 #7b)
        read_at = DiskStamp.of(path) if _same_file(out, path) else None
        doc = _load(path)
        twin = doc.twin
        if args.visit_command == "add":
            if args.fhir:
                rep = living.add_fhir_visit(twin, args.fhir, consent=args.consent,
                                            day=args.day, n=args.members,
                                            accept_misfit=args.accept_misfit)
            elif args.measurements:
                import hashlib

                from twinviewer.personalize.measurements import load_measurements

                ms = load_measurements(args.measurements)
                digest = hashlib.sha256(Path(args.measurements).read_bytes()).hexdigest()[:10]
                rep = living.add_measurements(
                    twin, ms, source=f"file:{digest}",  # file names may identify: not kept
                    consent=args.consent, day=args.day, n=args.members,
                                            accept_misfit=args.accept_misfit)
            else:
                rep = living.add_wearable_visit(twin, args.wearable, consent=args.consent,
                                                day=args.day, n=args.members,
                                            accept_misfit=args.accept_misfit)
            _save(doc, rep.twin, out, passphrase, read_at)
            if getattr(args, "json", False):
                print(json.dumps({"notice": RESEARCH_USE, "written": out.name,
                                  "visit": _report_dict(rep)}, indent=1))
                return 0
            print("\n".join(rep.lines()))
        elif args.visit_command == "withdraw":
            new, rec = living.withdraw_source(twin, args.source, reason=args.reason)
            _save(doc, new, out, passphrase, read_at)
            print(f"withdrawn {rec['source']}: {rec['n_items']} item(s) "
                  f"({', '.join(rec['names'])}); re-calibrated over visits "
                  f"{', '.join(str(d) for d in rec['visits_after'])}")
        else:
            new = living.recalibrate_new_model(twin)
            _save(doc, new, out, passphrase, read_at)
            print("\n".join(living.timeline_lines(new)))
    except _errors() as exc:
        return _fail(args, path, exc, unchanged=True)
    print(f"wrote {out.name}. {RESEARCH_USE}")
    return 0


def write_fhir_bundle(doc, output: Path | str) -> dict:
    """Write a twin document as a FHIR R4 Bundle (JSON, atomically); the bundle written.

    The core's ``fhir_bundle`` writer (File → Export and ``twinviewer fhir``).

    Examples
    --------
    >>> write_fhir_bundle(load_twin("a.twin"), "a.fhir.json")["type"]  # doctest: +SKIP
    'collection'
    """
    from twinviewer import living
    from twinviewer.core.atomic import atomic_write_bytes

    bundle = living.fhir_export(doc.twin, results=doc.results)
    atomic_write_bytes(Path(output), json.dumps(bundle, indent=1).encode("utf-8"))
    return bundle


def run_fhir(args: argparse.Namespace) -> int:
    """``twinviewer fhir export TWIN -o OUT.json``."""
    path = Path(args.twin)
    try:
        doc = _load(path)
        bundle = write_fhir_bundle(doc, args.output)
    except _errors() as exc:
        return _fail(args, path, exc, unchanged=False)
    if getattr(args, "json", False):
        print(json.dumps({"written": Path(args.output).name, "resources": len(bundle["entry"]),
                          "validated": "FHIR R4B"}))
        return 0
    print(f"wrote {Path(args.output).name}: {len(bundle['entry'])} resources (validated as "
          "FHIR R4B)")
    return 0


def run_timeline(args: argparse.Namespace) -> int:
    """``twinviewer timeline TWIN [--json]``."""
    from twinviewer import living

    path = Path(args.twin)
    try:
        twin = _load(path).twin
    except _errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(living.timeline_dict(twin), indent=1))
    else:
        print("\n".join(living.timeline_lines(twin)))
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of whichever of the three commands ``p`` is (by its program name), so the
    three share one module (commands of the core manifest, ``twinviewer/twinviewer.toml``)."""
    {"visit": add_visit_arguments, "fhir": add_fhir_arguments,
     "timeline": add_timeline_arguments}[p.prog.split()[-1]](p)
