"""pyarrow for the desktop bundle: what Parquet needs (the cohort tables,
``twinviewer.cohort.runner``), without Arrow Flight (RPC) and the S3, GCS, Azure and HDFS
file systems, which the app never uses: 55 MB of libraries (``libarrow_flight``,
``libarrow_s3``) that only those modules link. Replaces pyinstaller-hooks-contrib's hook,
which collects every library of the package; ``build-bundle.sh`` excludes the modules."""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, collect_submodules

#: Modules left out (``build-bundle.sh`` passes the same as ``--exclude-module``).
LEFT_OUT = ("pyarrow.flight", "pyarrow._flight", "pyarrow._s3fs", "pyarrow._gcsfs",
            "pyarrow._azurefs", "pyarrow._hdfs", "pyarrow.cuda", "pyarrow._cuda",
            "pyarrow._pyarrow_cpp_tests")
#: Libraries only the left-out modules link (checked with readelf: NEEDED).
LIBRARIES_LEFT_OUT = ("libarrow_flight", "libarrow_python_flight", "libarrow_s3")

hiddenimports = collect_submodules(
    "pyarrow", filter=lambda name: "tests" not in name and not name.startswith(LEFT_OUT))
datas = collect_data_files("pyarrow")
binaries = [(src, dest) for src, dest in collect_dynamic_libs("pyarrow")
            if not src.rsplit("/", 1)[-1].startswith(LIBRARIES_LEFT_OUT)]
excludedimports = list(LEFT_OUT)
