"""Accuracy of the cine segmenter per structure and phase (the tables of docs/notes/seg6.md).

Session 7's ``seg7_eval.py`` is this script with the biv-me stack's long-axis planes passed to
the segmenter; with ``--sa-only`` it runs the same evaluation without them, as seg6 did. This
file runs that, so the evaluation lives in one place. The code that produced seg6's tables is
this file at commit 9d9ce97 (``git show 9d9ce97:docs/notes/seg6_eval.py``); on today's
segmenter it gives today's figures.

Run from the worktree: ``PYTHONPATH=$PWD python docs/notes/seg6_eval.py [phantom|factory|bivme]``.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.argv.append("--sa-only")
    runpy.run_path(str(Path(__file__).with_name("seg7_eval.py")), run_name="__main__")
