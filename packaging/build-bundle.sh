#!/usr/bin/env bash
# Build the desktop bundle: a PyInstaller one-folder app in build/bundle/dist/twinviewer with
# the .desktop file and the icon beside the executable. Installs PyInstaller into the
# environment if it is missing.
#   bash packaging/build-bundle.sh            (uses .venv/bin/python, or $PYTHON)
# Start it with build/bundle/dist/twinviewer/twinviewer; install the launcher with
#   build/bundle/dist/twinviewer/install-desktop-entry.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || bash packaging/setup.sh
"$PY" -c "import PyInstaller" 2>/dev/null || "$PY" -m pip install -q 'pyinstaller>=6.5'
OUT="$ROOT/build/bundle"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"  # the analysis imports Qt modules
# The demo's cache files (anatomy, calibrated twin, results, display: ~2 min of CPU), made now
# by this tree's code and shipped read-only in demo_cache/; the bundle's first start copies
# them into the empty user cache when the manifest's keys (version, equation hash, package
# sources, numpy) are its own (twinviewer.gui.demo_heart.seeded).
rm -rf "$OUT/demo_cache"
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m twinviewer.warmup --seed "$OUT/demo_cache"
chmod a+r "$OUT"/demo_cache/*  # the twin file is written private; this one holds no person's data
# packaging/pyinstaller-hooks replaces PyInstaller's run-time hook for PySide6, which imported
# QtCore in every start, the app's helper process (twinviewer --process-worker) included.
# The package's sources go in as data too: the model's equation hash and the generated
# numba kernels read them (inspect.getsource), which a frozen import alone cannot provide.
# So do the folders beside the package that it reads (tests/test_bundle_helper.py checks the
# list): meshes/ (the demo heart and the biv-me patient it is built from: a first start
# without them never showed the demo), assets/ (the lessons) and svZeroDSolver's reference
# cases (0.6 MB, BSD-3-Clause, their LICENSE.txt with them: 'twinviewer validate' and the
# model card check the importer against them; without them the bundle said "not installed").
# VTK: the modules the app can import (through pyvista's class map, its rendering factories,
# pyvistaqt and the app's own imports) and the libraries they link; the other 73 of 154
# modules (VTK-m accelerators and their libviskores_*, web, VR, AMR, most readers) are left
# out (packaging/vtk_unused.py; tests/test_bundle_selfcheck.py checks that none of them is
# one the app loads), and so are Tk (the app draws with Qt; matplotlib renders to Agg), the
# `vtk` module that imports all of VTK (pyvista names it for type checkers only), and
# VTK's web/Tk/wx/GTK bindings. pyarrow: Parquet only (packaging/pyinstaller-hooks/
# hook-pyarrow.py): Arrow Flight and the cloud file systems are left out with their libraries,
# and so are its C++ headers, Cython sources and tests.
mapfile -t VTK_UNUSED < <(PYTHONPATH="$ROOT" "$PY" packaging/vtk_unused.py)
[ "${#VTK_UNUSED[@]}" -gt 0 ] || { echo "packaging/vtk_unused.py listed nothing" >&2; exit 1; }
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --name twinviewer \
  --distpath "$OUT/dist" --workpath "$OUT/work" --specpath "$OUT" \
  --paths "$ROOT" \
  --additional-hooks-dir "$ROOT/packaging/pyinstaller-hooks" \
  --add-data "$ROOT/twinviewer:twinviewer" \
  --add-data "$ROOT/meshes:meshes" --add-data "$ROOT/assets:assets" \
  --add-data "$OUT/demo_cache:demo_cache" \
  --add-data "$ROOT/tests/data/svzerodsolver:tests/data/svzerodsolver" \
  --collect-submodules vtkmodules "${VTK_UNUSED[@]}" \
  --exclude-module vtk --exclude-module vtkmodules.all --exclude-module vtkmodules.web \
  --exclude-module vtkmodules.tk --exclude-module vtkmodules.wx --exclude-module vtkmodules.gtk \
  --exclude-module vtkmodules.test --exclude-module tkinter --exclude-module _tkinter \
  --exclude-module pyarrow.flight --exclude-module pyarrow._flight --exclude-module pyarrow._s3fs \
  --exclude-module pyarrow._gcsfs --exclude-module pyarrow._azurefs --exclude-module pyarrow._hdfs \
  --exclude-module pyarrow.cuda --exclude-module pyarrow._cuda \
  --exclude-module pyarrow.libarrow_python_flight --exclude-module pyarrow.tests \
  --collect-all pyvista --collect-all pyvistaqt \
  --collect-data pyqtgraph --collect-submodules twinviewer --collect-data matplotlib \
  --collect-all SALib --collect-all highdicom --collect-all pydicom \
  --collect-submodules numba --collect-submodules llvmlite \
  --collect-submodules pylibjpeg --collect-all libjpeg --collect-all openjpeg \
  --collect-submodules scipy --collect-data scipy \
  --hidden-import PySide6.QtSvg \
  "$ROOT/packaging/twinviewer_entry.py"
APP="$OUT/dist/twinviewer"
# Symbol tables out of the shared libraries (packaging/strip_libs.py: --strip-unneeded keeps
# what the dynamic linker and dlsym use; a stripped copy the loader would refuse, as
# patchelf-rewritten numpy.libs/scipy.libs come out, is not used): ~210 MB of 1.3 GB.
# TWINVIEWER_BUNDLE_STRIP=0 leaves them as they are.
if [ "${TWINVIEWER_BUNDLE_STRIP:-1}" != 0 ]; then
  "$PY" packaging/strip_libs.py "$APP/_internal"
fi
cp packaging/twinviewer.desktop packaging/twinviewer.svg packaging/twinviewer-mime.xml "$APP/"
# The install step's slow parts done now, by the built bundle itself (its own frozen code, so
# the kernels' digests are the ones it looks for): its warm-up in an empty HOME without a
# display compiles the kernels and builds the virtual hearts' anatomies; what is the same on
# every machine is shipped in _internal/prepared_cache (packaging/bundle_prepared.py: numba's
# cache is keyed by CPU, so another CPU compiles again). TWINVIEWER_BUNDLE_PREPARE=0 skips it.
if [ "${TWINVIEWER_BUNDLE_PREPARE:-1}" != 0 ]; then
  STAGE="$OUT/prepare_home"
  rm -rf "$STAGE" "$APP/_internal/prepared_cache"
  mkdir -p "$STAGE"
  t0=$(date +%s)
  env -u DISPLAY -u WAYLAND_DISPLAY -u TWINVIEWER_CACHE_DIR -u NUMBA_CACHE_DIR \
    HOME="$STAGE" XDG_CACHE_HOME="$STAGE/.cache" XDG_CONFIG_HOME="$STAGE/.config" \
    XDG_DATA_HOME="$STAGE/.local/share" "$APP/twinviewer" --warm-up
  "$PY" packaging/bundle_prepared.py "$STAGE/.cache/twinviewer" "$APP/_internal/prepared_cache"
  echo "prepared cache made in $(( $(date +%s) - t0 )) s"
fi
cat > "$APP/install-desktop-entry.sh" <<'SH'
#!/usr/bin/env bash
# Put TwinViewer in the desktop's application menu (current user only).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p ~/.local/share/applications ~/.local/share/icons/hicolor/scalable/apps
cp "$HERE/twinviewer.svg" ~/.local/share/icons/hicolor/scalable/apps/twinviewer.svg
sed "s|^Exec=.*|Exec=$HERE/twinviewer %f|" "$HERE/twinviewer.desktop" \
  > ~/.local/share/applications/twinviewer.desktop
# the .twin file type (a double-click on a .twin runs "twinviewer FILE.twin", which opens it)
mkdir -p ~/.local/share/mime/packages
cp "$HERE/twinviewer-mime.xml" ~/.local/share/mime/packages/twinviewer.xml
if command -v update-mime-database >/dev/null; then update-mime-database ~/.local/share/mime; fi
if command -v update-desktop-database >/dev/null; then
  update-desktop-database ~/.local/share/applications
fi
echo "TwinViewer added to the application menu"
# the first start's work done now: kernels compiled, the demo's prepared files in the user
# cache, the 3D view's shaders cached (where there is a display)
"$HERE/twinviewer" --warm-up || echo "install: the first start will compile the kernels"
SH
chmod +x "$APP/install-desktop-entry.sh"
du -sh "$APP" | awk '{print "bundle size: " $1}'
echo "bundle: $APP/twinviewer"
