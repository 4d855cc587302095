"""File → Save, Save As and the autosave are written in the file helper (save13): the same
file as the fallback where no helper runs; the document is marked saved only once the write
succeeded; each failure (disk full, permission denied, a folder of that name) names the file
and the problem and leaves everything as it was; a second save while one runs is refused;
Quit with Save waits for the write."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import zipfile

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from twinviewer.core.anatomy import Anatomy, ImageVolume
from twinviewer.core.twin import InterventionStep, Scenario
from twinviewer.gui import model_jobs
from twinviewer.gui import twin_file_actions as actions
from twinviewer.gui.process_worker import HelperDied, ProcessWorker, available
from twinviewer.io import crypto
from twinviewer.io.audit import audit_log
from twinviewer.io.autosave import Autosaver
from twinviewer.io.twinfile import load_twin
from twinviewer.physiology import get_preset
from twinviewer.twins import twin_from_preset

pytestmark = pytest.mark.skipif(not available(), reason="no helper process here")


def _twin(image_mb: float = 0.0):
    """A small twin with a scenario and an audit entry; ``image_mb``: with a CT of about
    that size (whole HU values, so stored as int16: half that in the file)."""
    twin = twin_from_preset("moderate_as", n=6)
    twin.scenarios.append(Scenario("TAVI", (InterventionStep("tavi", {"eoa": 2.0}),)))
    audit_log(twin).record(twin, "create", {"preset": "moderate_as"})
    if image_mb:
        side = int(round((image_mb * 1e6 / 4) ** (1 / 3)))
        rng = np.random.default_rng(3)
        ct = rng.integers(-1000, 2000, (1, side, side, side)).astype(np.float32)
        twin = dataclasses.replace(twin, anatomy=Anatomy(
            twin.pseudonym, image=ImageVolume(ct, np.eye(4), (1.0, 1.0, 1.0), [0.0])))
    return twin


@pytest.fixture
def calls(monkeypatch):
    """The targets of the helper jobs sent (the helper still runs them)."""
    sent: list[str] = []
    real = ProcessWorker.call

    def spy(self, target, *a, **kw):
        sent.append(target)
        return real(self, target, *a, **kw)

    monkeypatch.setattr(ProcessWorker, "call", spy)
    return sent


def test_save_is_written_in_the_helper_and_equals_the_fallback(env, tmp_path, calls,
                                                              monkeypatch):
    """The same request written in the helper, here (no helper), and here after the helper
    died: the same bytes; encrypted, the same plaintext."""
    state, window, messages = env
    state.session.open_twin(_twin(image_mb=2.0))
    state.session.add_note("a note to save")
    request = state.session.save_request(tmp_path / "helper.twin")
    kw = {"twin": request.twin, "options": request.options}
    actions.write_file("save", request.twin, {"path": tmp_path / "helper.twin", **kw})
    assert calls == ["twinviewer.gui.model_jobs:child_file"]

    monkeypatch.setattr("twinviewer.gui.process_worker.available", lambda: False)
    actions.write_file("save", request.twin, {"path": tmp_path / "here.twin", **kw})
    assert len(calls) == 1  # not sent: written here
    assert (tmp_path / "here.twin").read_bytes() == (tmp_path / "helper.twin").read_bytes()

    monkeypatch.setattr("twinviewer.gui.process_worker.available", lambda: True)

    def died(self, target, *a, **kw):
        raise HelperDied("the file writer process stopped unexpectedly (exit code -9)")

    monkeypatch.setattr(ProcessWorker, "call", died)
    actions.write_file("save", request.twin, {"path": tmp_path / "after.twin", **kw})
    assert (tmp_path / "after.twin").read_bytes() == (tmp_path / "here.twin").read_bytes()
    with zipfile.ZipFile(tmp_path / "after.twin") as zf:  # the CT went as int16
        assert zf.testzip() is None

    # encrypted with the passphrase, in the helper and here: the same plaintext
    monkeypatch.undo()
    secret = state.session.save_request(tmp_path / "s.twin", passphrase="pass phrase 12")
    kw = {"twin": secret.twin, "options": secret.options}
    actions.write_file("save", secret.twin, {"path": tmp_path / "s1.twin", **kw})
    monkeypatch.setattr("twinviewer.gui.process_worker.available", lambda: False)
    actions.write_file("save", secret.twin, {"path": tmp_path / "s2.twin", **kw})
    one, two = ((tmp_path / n).read_bytes() for n in ("s1.twin", "s2.twin"))
    assert crypto.is_encrypted(one) and one != two  # each its own salt
    assert crypto.decrypt(one, "pass phrase 12") == crypto.decrypt(two, "pass phrase 12")


def test_save_as_marks_saved_only_after_the_write(env, tmp_path, calls, qtbot):
    state, window, messages = env
    doc = state.session
    doc.open_twin(_twin())
    doc.add_note("work")
    path = actions.save_twin_as(window, state, tmp_path / "case", wait=False)
    assert path == tmp_path / "case.twin"
    assert doc.dirty and doc.file.path is None  # not yet: the job writes it
    qtbot.waitUntil(lambda: getattr(state, "_saving", 1) is None, timeout=60_000)
    assert not doc.dirty and doc.file.path == path
    assert messages[-1] == ("info", "Twin saved to case.twin")
    assert "twinviewer.gui.model_jobs:child_file" in calls
    back = load_twin(path)
    assert [e["details"].get("text") for e in back.audit.to_list()][-1] == "work"


def test_a_change_made_while_saving_keeps_the_document_unsaved(env, tmp_path, qtbot):
    state, window, messages = env
    doc = state.session
    doc.open_twin(_twin())
    doc.add_note("before the save")
    actions.save_twin_as(window, state, tmp_path / "case.twin", wait=False)
    doc.add_note("while it is written")  # the job cannot have finished: this is its turn
    qtbot.waitUntil(lambda: getattr(state, "_saving", 1) is None, timeout=60_000)
    assert doc.dirty and doc.file.path == tmp_path / "case.twin"
    assert messages[-1][1].endswith("changes made meanwhile are not saved yet")
    texts = [e["details"].get("text") for e in load_twin(tmp_path / "case.twin").audit.to_list()]
    assert "before the save" in texts and "while it is written" not in texts


def test_a_second_save_while_one_runs_is_refused(env, tmp_path, qtbot):
    state, window, messages = env
    state.session.open_twin(_twin(image_mb=4.0))
    state.session.add_note("work")
    first = actions.save_twin_as(window, state, tmp_path / "a.twin", wait=False)
    assert actions.save_twin_as(window, state, tmp_path / "a.twin") is None
    assert messages[-1] == ("warning", "Not saved again: a.twin is still being written; "
                                       "save once it is done.")
    assert not state.jobs  # a thread of its own, not the jobs' pool
    qtbot.waitUntil(lambda: getattr(state, "_saving", 1) is None, timeout=60_000)
    assert load_twin(first).twin.pseudonym == state.session.twin.pseudonym
    assert actions.save_twin_as(window, state, tmp_path / "a.twin") == first  # now it may


def _failed_save(env, target, earlier: bytes | None = None):
    """Save to ``target``, which fails: the message names the file and says why; the
    document stays unsaved with its file context and twin as they were."""
    state, window, messages = env
    doc = state.session
    twin = doc.twin
    ctx = dataclasses.replace(doc.file)
    assert actions.save_twin_as(window, state, target) is None
    level, text = messages[-1]
    assert level == "error" and f"Could not save the twin to {target}" in text, text
    assert doc.dirty and doc.twin is twin and doc.file == ctx
    assert text.endswith("The twin is kept as it was, with its unsaved changes.")
    if earlier is not None:  # the earlier file is whole
        assert target.read_bytes() == earlier
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    return text


def test_saving_to_a_folder_says_so_and_keeps_everything(env, tmp_path):
    state, window, messages = env
    state.session.open_twin(_twin())
    state.session.add_note("work")
    (tmp_path / "folder.twin").mkdir()
    text = _failed_save(env, tmp_path / "folder.twin")
    assert "that name is a folder, not a file" in text


def _unwritable_folder(tmp_path):
    """A folder this process cannot create files in (a 0o500 folder; as root, which ignores
    modes, /sys), or None."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    for candidate in (folder, __import__("pathlib").Path("/sys")):
        try:
            (candidate / "probe").touch()
        except PermissionError:
            return candidate
        except OSError:
            continue
        (candidate / "probe").unlink()
    return None


def test_permission_denied_says_so_and_keeps_everything(env, tmp_path):
    state, window, messages = env
    state.session.open_twin(_twin())
    state.session.add_note("work")
    folder = _unwritable_folder(tmp_path)
    if folder is None:
        pytest.skip("no folder here that refuses this user's files")
    text = _failed_save(env, folder / "case.twin")
    assert "permission denied" in text


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs (root only; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("helper", [True, False], ids=["in the helper", "here"])
def test_a_full_disk_says_so_and_keeps_the_earlier_file(env, small_disk, monkeypatch, helper):
    state, window, messages = env
    if not helper:
        monkeypatch.setattr("twinviewer.gui.process_worker.available", lambda: False)
    doc = state.session
    doc.open_twin(_twin())
    doc.add_note("small")
    target = small_disk / "case.twin"
    assert actions.save_twin_as(window, state, target) == target and not doc.dirty
    earlier = target.read_bytes()
    doc.set_twin(dataclasses.replace(_twin(image_mb=2.0), audit=list(doc.twin.audit)))
    assert doc.dirty
    text = _failed_save(env, target, earlier)
    assert "the disk is full (no space left on device)" in text
    assert doc.file.path == target  # still the file it came from


def test_quit_with_save_waits_for_the_write(make_twin_window, tmp_path, monkeypatch, calls):
    """Quit → "Save": the window closes only once the file is written (in the helper)."""
    from twinviewer.gui import file_dialogs

    w = make_twin_window(load_demo=False)
    w.state.session.open_twin(_twin(image_mb=8.0))
    w.state.session.add_note("made before quitting")
    target = tmp_path / "quit.twin"
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Save)
    monkeypatch.setattr(file_dialogs, "get_save_file_name", lambda *a, **k: (str(target), ""))
    seen = []
    real_close = w.state.close

    def closing():  # what the app has on disk when it shuts its jobs down
        seen.append(target.exists() and load_twin(target).twin.pseudonym)
        real_close()

    monkeypatch.setattr(w.state, "close", closing)
    assert w.close()
    assert seen == [w.state.session.twin.pseudonym]
    assert not w.state.session.dirty
    assert "twinviewer.gui.model_jobs:child_file" in calls


def test_quit_with_a_failed_save_stays_open(make_twin_window, tmp_path, monkeypatch):
    from twinviewer.gui import file_dialogs

    w = make_twin_window(load_demo=False)
    w.state.session.open_twin(_twin())
    w.state.session.add_note("made before quitting")
    (tmp_path / "q.twin").mkdir()
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Save)
    monkeypatch.setattr(file_dialogs, "get_save_file_name",
                        lambda *a, **k: (str(tmp_path / "q.twin"), ""))
    assert not w.close()  # the close is refused: the work is not on disk
    assert w.isVisible() and w.state.session.dirty
    assert "that name is a folder" in (w.last_error or "")
    w.state.session.dirty = False


def test_the_autosave_is_written_in_the_helper(env, tmp_path, calls, monkeypatch):
    state, window, messages = env
    saver = Autosaver(tmp_path / "auto")
    ctl = actions.AutosaveController(state, interval_s=60, autosaver=saver)
    twin = _twin(image_mb=1.0)
    state.session.open_twin(twin)
    state.session.add_note("autosave me")
    path = ctl.autosave_now()
    assert path == saver.path_for(twin) and calls == ["twinviewer.gui.model_jobs:child_file"]
    assert ctl.autosave_now() is None  # the same content: not written again
    first = path.read_bytes()
    monkeypatch.setattr("twinviewer.gui.process_worker.available", lambda: False)
    state.session.add_note("and this")
    assert ctl.autosave_now() == path and path.read_bytes() != first
    assert len(calls) == 2  # the digest's check went to the helper; the last write not
    doc = saver.recover(saver.pending_recovery()[0])
    assert doc.twin.anatomy.image.array.dtype == np.int16  # whole HU: kept int16 (fix16b)
    ctl.stop()
    assert os.path.exists(path)


def test_a_save_does_not_queue_behind_the_jobs(env, tmp_path):
    """Both threads of the jobs' pool busy (a calibration and a what-if, say): Save still
    writes at once (it has a thread of its own)."""
    import threading

    state, window, messages = env
    state.session.open_twin(_twin())
    state.session.add_note("work")
    release = threading.Event()
    for i in range(2):
        state.run_job(f"long job {i}", lambda _p, _c: release.wait(60), lambda _r: None)
    try:
        assert actions.save_twin_as(window, state, tmp_path / "now.twin") == \
            tmp_path / "now.twin"
        assert not state.session.dirty and len(state.jobs) == 2
    finally:
        release.set()
        state.wait_for_jobs()


def _plugin_twin():
    """A twin on the shipped single-ventricle plug-in model, with a scenario."""
    twin = twin_from_preset("teaching_single_ventricle", n=4)
    twin.scenarios.append(Scenario("dilate", (InterventionStep("vasodilator", {}),)))
    return twin


def test_a_plugin_twin_is_written_in_the_helper(plugin_registry, tmp_path):
    """review16 #5: the helper resolves an approved plug-in's model through the registry,
    as the app does, instead of dying (exit code 3) and leaving the write to this process."""
    pytest.importorskip("tv_single_ventricle")
    plugin_registry()  # the installed plug-ins, approved (a private config the helper shares)
    twin = _plugin_twin()
    worker = ProcessWorker("file writer")
    try:
        model_jobs.file_written("save", {"path": tmp_path / "sv.twin", "twin": twin,
                                         "options": {}}, worker=worker)
        # a model itself (a document's results hold it) is sent by reference: the helper
        # finds it through the registry (it died here, exit code 3, before)
        model = get_preset("teaching_single_ventricle").model
        back = worker.call("copy:copy", {"x": model}, with_progress=False)
        assert (back.name, back.equation_hash) == (model.name, model.equation_hash)
    finally:
        worker.close()
    back = load_twin(tmp_path / "sv.twin").twin
    assert (back.model_name, [s.name for s in back.scenarios]) == ("single_ventricle",
                                                                    ["dilate"])


def test_a_disabled_plugin_model_is_not_loaded_by_the_helper(plugin_registry, tmp_path):
    """The plug-in safety rule holds in the helper: a plug-in the user's store does not
    enable (here: disabled after the app loaded it) is not in the helper's registry, so its
    code is not imported there; the helper refuses the job and the app writes the file."""
    pytest.importorskip("tv_single_ventricle")
    from twinviewer.plugins.store import PluginStore

    plugin_registry()
    twin = _plugin_twin()
    PluginStore().disable("tv-single-ventricle", "test: withdrawn")
    worker = ProcessWorker("file writer")
    try:
        with pytest.raises(model_jobs.HelperUnavailable, match="not installed in the helper"):
            model_jobs.file_written("save", {"path": tmp_path / "sv.twin", "twin": twin,
                                             "options": {}}, worker=worker)
    finally:
        worker.close()


def test_the_helper_never_writes_the_plugin_store(plugin_config, tmp_path):
    """final16 #9: a failure in the helper persisted "disabled" (and the helper's stale
    snapshot) in the user's store; a helper's store is read-only: the app decides."""
    from twinviewer.plugins.store import PluginStore

    PluginStore().approve("tv-single-ventricle", "fp1")
    before = PluginStore().path.read_bytes()
    worker = ProcessWorker("file writer")
    try:
        seen = worker.call("tests.gui.helper_jobs:disable_in_store",
                           {"name": "tv-single-ventricle", "reason": "failed in the helper"},
                           with_progress=False)
    finally:
        worker.close()
    assert "tv-single-ventricle" in seen["disabled"]  # in the helper, for that process
    assert PluginStore().path.read_bytes() == before


def test_a_plugin_disabled_since_the_helper_started_is_not_used_there(plugin_registry,
                                                                        tmp_path):
    """final16 #9: the helper's registry is built once; a plug-in the user disabled in the
    app afterwards was still used (its model already loaded there) on the next save."""
    pytest.importorskip("tv_single_ventricle")
    from twinviewer.plugins.store import PluginStore

    plugin_registry()
    twin = _plugin_twin()
    worker = ProcessWorker("file writer")
    try:
        model_jobs.file_written("save", {"path": tmp_path / "sv.twin", "twin": twin,
                                         "options": {}}, worker=worker)
        PluginStore().disable("tv-single-ventricle", "test: withdrawn in the app")
        with pytest.raises(model_jobs.HelperUnavailable, match="tv-single-ventricle"):
            model_jobs.file_written("save", {"path": tmp_path / "sv2.twin", "twin": twin,
                                             "options": {}}, worker=worker)
    finally:
        worker.close()
