"""Strip the symbol tables out of a bundle's shared libraries, keeping every library loadable.

``strip --strip-unneeded`` keeps what the dynamic linker and ``dlsym`` use and drops the rest
(~200 MB of the bundle's 1.3 GB: VTK's ``libvtkCommonCore`` alone 36 MB). Libraries that
auditwheel vendored and patchelf rewrote (``numpy.libs/libscipy_openblas64_*.so``, ...) come
out of ``strip`` with a load segment whose file offset and address disagree modulo its
alignment, and the loader then refuses them ("ELF load command address/offset not
page-aligned"): every stripped copy is checked for that (:func:`loadable`) and the original
is kept when it fails. Not the executable (PyInstaller appends its archive to it), not a
library with an ``.hmac`` or ``.chk`` file beside it (its checksum must hold).

    python packaging/strip_libs.py build/bundle/dist/twinviewer/_internal
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

PT_LOAD = 1


def load_segments(path: Path | str) -> list[tuple[int, int, int]]:
    """``(offset, address, alignment)`` of each PT_LOAD segment of a 64-bit little-endian
    ELF file ([] for anything else).

    Examples
    --------
    >>> segs = load_segments(sys.executable)
    >>> len(segs) > 0 and all(a > 0 for _, _, a in segs)
    True
    """
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return []
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    segs = []
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr = struct.unpack_from("<IIQQ", table, i * phentsize)
        p_align, = struct.unpack_from("<Q", table, i * phentsize + 48)
        if p_type == PT_LOAD:
            segs.append((p_offset, p_vaddr, p_align))
    return segs


def loadable(path: Path | str) -> bool:
    """Whether every load segment's file offset and address agree modulo its alignment (what
    the loader requires).

    Examples
    --------
    >>> loadable(sys.executable)
    True
    """
    segs = load_segments(path)
    return bool(segs) and all(a <= 1 or (off - addr) % a == 0 for off, addr, a in segs)


def strip_one(lib: Path) -> int:
    """Strip ``lib`` in place if its stripped copy is :func:`loadable` and smaller; bytes
    saved (0 when left as it is)."""
    if lib.is_symlink() or Path(f"{lib}.hmac").exists() or \
            lib.with_name(lib.name.split(".so")[0] + ".chk").exists():
        return 0
    tmp = lib.with_name(f".{lib.name}.strip")
    try:
        done = subprocess.run(["strip", "--strip-unneeded", "-o", str(tmp), str(lib)],
                              capture_output=True).returncode == 0
        before = lib.stat().st_size
        if not done or not loadable(tmp) or tmp.stat().st_size >= before:
            return 0
        shutil.copymode(lib, tmp)
        os.replace(tmp, lib)
        return before - lib.stat().st_size
    finally:
        tmp.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Strip every ``*.so``/``*.so.*`` under the folder given; print what was saved."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: strip_libs.py BUNDLE_INTERNAL_FOLDER", file=sys.stderr)
        return 2
    if shutil.which("strip") is None:
        print("strip_libs: no 'strip' command; libraries left as they are")
        return 0
    saved, kept = 0, []
    for lib in sorted(Path(args[0]).rglob("*.so*")):
        if lib.is_file() and (lib.name.endswith(".so") or ".so." in lib.name):
            n = strip_one(lib)
            saved += n
            if n == 0 and not lib.is_symlink():
                kept.append(lib.name)
    print(f"strip_libs: {saved / 1e6:.0f} MB of symbol tables removed; "
          f"{len(kept)} libraries left as they are")
    return 0


if __name__ == "__main__":
    sys.exit(main())
