"""Run a benchmark script under its own Xvfb server, so the X server's CPU time can be counted.

Under software OpenGL the X server does part of every frame's work (putting the rendered
image into the window, composing). A frame rate on a shared 2-core machine is only credible
as CPU per frame of the client *and* the server; each run here gets a private server whose
``/proc/<pid>/stat`` the script reads (``XVFB_PID``; see :func:`xvfb_cpu_s`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: Code a benchmark script can paste to read the server's CPU seconds (user + system).
XVFB_CPU = r"""
def xvfb_cpu_s():
    import os
    f = open(f"/proc/{os.environ['XVFB_PID']}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
"""


def xvfb_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_script(script: str, tree: Path, *, env: dict | None = None,
               timeout: float = 900.0) -> dict:
    """Run ``python -c script`` from ``tree`` (its code first on the path) under a fresh
    1920×1080×24 Xvfb; returns the JSON the script printed after ``BENCH``."""
    r, w = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1920x1080x24",
                               "-nolisten", "tcp"], pass_fds=(w,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        with os.fdopen(r) as f:
            display = f.readline().strip()
        base = {k: v for k, v in os.environ.items() if k != "TWINVIEWER_3D_WIDGET"}
        full = {**base, **(env or {}), "PYTHONPATH": str(tree),
                "DISPLAY": f":{display}", "XVFB_PID": str(server.pid),
                "QT_QPA_PLATFORM": "xcb"}
        # cwd=tree: with ``-c`` the current folder comes first on sys.path
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             timeout=timeout, env=full, cwd=tree)
    finally:
        server.terminate()
        server.wait(timeout=30)
    line = [x for x in out.stdout.splitlines() if x.startswith("BENCH")]
    assert line, out.stderr[-3000:]
    return json.loads(line[-1][5:])
