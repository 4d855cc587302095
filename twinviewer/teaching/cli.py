"""``twinviewer lessons list|check [NAME|--all]``: the shipped (or a folder's) lessons, and a
headless check that every question's answer key agrees with the simulation (for CI)."""

from __future__ import annotations

import argparse
from pathlib import Path

from twinviewer.teaching.lesson import LessonError, lesson_files, load_lesson


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The ``lessons`` sub-command's arguments."""
    parser.add_argument("action", choices=("list", "check"),
                        help="list the lessons, or check them by simulation")
    parser.add_argument("name", nargs="?", help="a lesson name (file stem) or a lesson file")
    parser.add_argument("--all", action="store_true", help="check every lesson")
    parser.add_argument("--folder", help="lesson folder (default: the shipped lessons)")
    return parser


def _pick(args: argparse.Namespace) -> list[Path]:
    files = lesson_files(args.folder)
    if args.name is None:
        return files
    p = Path(args.name)
    if p.suffix in (".yaml", ".yml", ".json"):
        return [p]
    hits = [f for f in files if f.stem == args.name]
    if not hits:
        raise LessonError(f"no lesson named {args.name!r}; known: "
                          f"{', '.join(f.stem for f in files) or 'none'}")
    return hits


def run_lessons(args: argparse.Namespace) -> int:
    """Run ``lessons``; exit status 1 on a malformed lesson or a wrong answer key."""
    from twinviewer.teaching.runner import check_lesson

    try:
        files = _pick(args)
    except LessonError as exc:
        print(f"error: {exc}")
        return 2
    if args.action == "check" and args.name is None and not args.all:
        print("error: name a lesson or pass --all")
        return 2
    bad = 0
    for f in files:
        try:
            lesson = load_lesson(f)
        except LessonError as exc:
            print(f"MALFORMED  {exc}")
            bad += 1
            continue
        if args.action == "list":
            print(f"{f.stem:40s} {lesson.title}  ({len(lesson.steps)} steps, "
                  f"{len(lesson.questions)} questions)")
            continue
        try:
            outcomes = check_lesson(lesson)
        except LessonError as exc:
            print(f"FAILED     {exc}")
            bad += 1
            continue
        wrong = [o for o in outcomes if not o.key_ok]
        bad += bool(wrong)
        print(f"{'ok' if not wrong else 'WRONG':10s} {f.stem}: {len(outcomes)} questions")
        for o in wrong:
            print(f"           line {o.question.line}: key says {o.question.answer!r}, the "
                  f"simulation says {o.simulated!r} ({o.detail})")
    return 1 if bad else 0
