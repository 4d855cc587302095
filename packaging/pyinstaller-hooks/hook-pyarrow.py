"""pyarrow for the desktop bundle: what Parquet needs (the cohort tables,
``twinviewer.cohort.runner``, written and read through pandas), without Arrow Flight (RPC),
the S3, GCS, Azure and HDFS file systems and CUDA, which the app never uses, and without the
C++ headers, Cython sources and tests. Replaces pyinstaller-hooks-contrib's hook, which
collects every library and data file of the package; ``build-bundle.sh`` excludes the same
modules.

``libarrow_flight`` (32 MB), ``libarrow_s3`` (17 MB) and ``libarrow_python_flight`` are linked
only by the left-out modules (``readelf -d``: NEEDED). ``collect_submodules`` lists every
``lib*.so`` of the package as a "module" (``pyarrow.libarrow_python_flight``), which then
pulls its libraries back in: so no ``pyarrow.lib*`` name is a hidden import (the extension
modules that need them bring them as binary dependencies).
"""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, collect_submodules

#: Modules left out (``build-bundle.sh`` passes the same as ``--exclude-module``).
LEFT_OUT = ("pyarrow.flight", "pyarrow._flight", "pyarrow._s3fs", "pyarrow._gcsfs",
            "pyarrow._azurefs", "pyarrow._hdfs", "pyarrow.cuda", "pyarrow._cuda",
            "pyarrow._pyarrow_cpp_tests", "pyarrow.libarrow_python_flight", "pyarrow.tests",
            "pyarrow.conftest", "pyarrow.jvm", "pyarrow.benchmark")
#: Libraries only the left-out modules link (checked with readelf: NEEDED).
LIBRARIES_LEFT_OUT = ("libarrow_flight", "libarrow_python_flight", "libarrow_s3")
#: Data that is for building against Arrow or testing it, not for running it.
DATA_LEFT_OUT = ["include/**", "includes/**", "src/**", "tests/**", "**/*.pyx", "**/*.pxd",
                 "**/*.pxi", "**/*.h", "**/*.cc"]

hiddenimports = collect_submodules(
    "pyarrow", filter=lambda name: not name.startswith(LEFT_OUT)
    and not name.startswith("pyarrow.lib") or name == "pyarrow.lib")


def _kept(pairs):
    return [(src, dest) for src, dest in pairs
            if not src.rsplit("/", 1)[-1].startswith(LIBRARIES_LEFT_OUT)]


# the versioned libraries (``libarrow_flight.so.2600``) do not end in ``.so``: PyInstaller
# collects them as data files, so they are filtered there too
datas = _kept(collect_data_files("pyarrow", excludes=DATA_LEFT_OUT))
binaries = _kept(collect_dynamic_libs("pyarrow"))
excludedimports = list(LEFT_OUT)
