"""The helper's pipe (stall14): arrays come back as the bytes that were sent, bit for bit,
whatever their dtype, order or size, writable as they were; their bytes are read by the kernel
(``os.readv``, the interpreter lock released) into the arrays' own memory, not gathered and
copied under the lock; a pipe that ends mid-message is an error, not a short array."""

from __future__ import annotations

import os
import pickle
import struct
import threading
from multiprocessing.connection import Pipe

import numpy as np
import pytest

from twinviewer.gui import process_worker
from twinviewer.gui.process_worker import ProcessWorker, available, receive, send

pytestmark = pytest.mark.skipif(not available(), reason="no helper process here")


def _arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(14)
    ro = rng.standard_normal(7)
    ro.flags.writeable = False
    return {
        "series": rng.standard_normal((200, 200)),  # a what-if waveform's shape
        "fortran": np.asfortranarray(rng.standard_normal((30, 20))),
        "float32": rng.standard_normal(50).astype(np.float32),
        "ints": rng.integers(-5, 5, size=(4, 5, 6)),
        "bools": rng.standard_normal(33) > 0,
        "nan_inf": np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324]),
        "empty": np.empty((0, 3)),
        "strided": rng.standard_normal(20)[::3],  # not contiguous: pickled in band
        "read_only": ro,
    }


def _check_same(sent: dict, got: dict) -> None:
    assert sent.keys() == got.keys()
    for k, a in sent.items():
        b = got[k]
        assert (b.dtype, b.shape) == (a.dtype, a.shape), k
        assert b.tobytes(order="A") == a.tobytes(order="A"), k  # bit for bit, NaN included
        if a.ndim > 1 and a.size:  # the memory order kept (a strided array comes back packed)
            assert b.flags.f_contiguous == a.flags.f_contiguous, k
        assert b.flags.writeable == a.flags.writeable, k  # a read-only one stays read-only


def test_arrays_cross_the_pipe_bit_for_bit():
    r, w = Pipe(duplex=False)
    sent = _arrays()
    t = threading.Thread(target=send, args=(w, sent))  # more than the pipe's buffer holds
    t.start()
    _check_same(sent, receive(r))
    t.join()


def test_the_arrays_bytes_are_read_by_the_kernel_into_their_own_memory(monkeypatch):
    read: list[int] = []
    real = os.readv

    def counted(fd, buffers):
        n = real(fd, buffers)
        read.append(n)
        return n

    monkeypatch.setattr(process_worker.os, "readv", counted)
    r, w = Pipe(duplex=False)
    a = np.arange(50_000, dtype=float)
    t = threading.Thread(target=send, args=(w, {"a": a}))
    t.start()
    got = receive(r)["a"]
    t.join()
    np.testing.assert_array_equal(got, a)
    assert sum(read) >= a.nbytes  # the array's bytes came by readv
    base = got
    while isinstance(base.base, np.ndarray):
        base = base.base
    assert base.dtype == np.uint8 and base.nbytes == a.nbytes  # its memory: no larger copy


def test_a_large_result_from_the_helper_is_the_one_it_made():
    """30 MB back from a real helper (more than the pipe holds: read while it writes)."""
    w = ProcessWorker("transport test")
    try:
        got = w.call("tests.gui.helper_jobs:big_arrays", {"seed": 3, "n": 96},
                     with_progress=False)
    finally:
        w.close()
    rng = np.random.default_rng(3)
    want = [rng.standard_normal((200, 200)) for _ in range(96)]
    assert len(got) == 96
    for a, b in zip(want, got, strict=True):
        assert a.tobytes() == b.tobytes()


def test_a_pipe_that_ends_mid_message_is_an_error():
    r, w = Pipe(duplex=False)
    buf = memoryview(np.arange(100, dtype=np.uint8))
    w.send_bytes(struct.pack("!I", 1))
    w.send_bytes(pickle.dumps(pickle.PickleBuffer(buf), protocol=5,
                              buffer_callback=lambda b: None))
    os.write(w.fileno(), struct.pack("!i", 100) + bytes(10))  # 10 of the 100 bytes
    w.close()
    with pytest.raises(OSError, match="end of file"):
        receive(r)
    r2, w2 = Pipe(duplex=False)
    w2.close()
    with pytest.raises(EOFError):
        receive(r2)


def test_models_still_go_by_reference():
    """The installed model comes back as itself (sent by name: its compiled functions do not
    pickle), now through the pickler's dispatch table."""
    from twinviewer.physiology import get_preset

    model = get_preset("healthy").model
    r, w = Pipe(duplex=False)
    t = threading.Thread(target=send, args=(w, {"m": model, "many": [{"x": i} for i in
                                                                      range(5000)]}))
    t.start()
    got = receive(r)
    t.join()
    assert got["m"] is model and len(got["many"]) == 5000


class _Unreadable:
    """Pickles fine, fails when the helper unpickles it (a class the helper cannot make)."""

    def __reduce__(self):
        import operator

        return operator.truediv, (1, 0)


def test_a_job_the_helper_cannot_read_ends_it_and_the_caller_hears():
    """The helper's pipe reader died on such a message while the helper lived on: every job
    sent after it waited for ever (a CI run hung 30 min in an autosave). It ends now, and the
    caller gets HelperDied, as for any helper that stops."""
    from twinviewer.gui.process_worker import HelperDied

    w = ProcessWorker("unreadable test")
    box: dict = {}

    def run() -> None:
        try:
            w.call("tests.gui.helper_jobs:big_arrays", {"seed": 1, "n": 1, "x": _Unreadable()},
                   with_progress=False)
        except BaseException as exc:  # noqa: BLE001 - looked at below
            box["error"] = exc

    try:
        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.join(60)
        assert not t.is_alive(), "the call never returned"
        assert isinstance(box.get("error"), HelperDied), box
        # a new helper takes the next job
        assert len(w.call("tests.gui.helper_jobs:big_arrays", {"seed": 3, "n": 1},
                          with_progress=False)) == 1
    finally:
        w.close()
