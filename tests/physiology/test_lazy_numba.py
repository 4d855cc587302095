"""numba is imported by the first compiled simulation, not by reading a model or a twin."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from twinviewer.physiology.jit import HAVE_NUMBA


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba off (TWINVIEWER_NUMBA=0)")
def test_numba_arrives_with_the_first_compiled_simulation_and_the_answer_is_the_same():
    code = textwrap.dedent("""
        import sys
        import numpy as np
        from twinviewer.physiology import elements, four_chamber
        from twinviewer.physiology.simulate import Settings
        from twinviewer.twins import model_of, simulate_twin, twin_from_preset
        twin = twin_from_preset("healthy", n=4)
        rhs = model_of(twin).rhs
        module = sys.modules[rhs.__module__]
        before = "numba" in sys.modules
        plain = hasattr(getattr(module, rhs.__name__), "py_func")
        numpy_path = simulate_twin(twin, settings=Settings(method="numpy"))
        still = "numba" in sys.modules
        compiled = simulate_twin(twin, settings=Settings(method="numba"))
        # the rhs in its module, and a helper imported by name into another model module
        print(before, plain, still, "numba" in sys.modules,
              hasattr(getattr(module, rhs.__name__), "py_func"),
              hasattr(four_chamber.activation, "py_func"),
              all(np.allclose(numpy_path.metrics[k], compiled.metrics[k], rtol=1e-9,
                              equal_nan=True) for k in compiled.metrics))
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    # before: no numba, model functions plain; the numpy path needs none; the compiled path
    # imports it and puts each model function's compiled version in its module
    assert run.stdout.split() == ["False", "False", "False", "True", "True", "True",
                                  "True"], run.stderr[-3000:]


def test_a_global_that_is_none_stays_none():
    """A model module with a global set to None (plugins, e.g. an optional import) made
    python_function fail with "'NoneType' object has no attribute '__code__'": the lookup
    of marked functions answered ``None is None``."""
    import types

    from twinviewer.physiology.jit import python_function

    module = types.ModuleType("plugin_like")
    exec("OPTIONAL = None\ndef rhs(x):\n    return 2.0 * x if OPTIONAL is None else x\n",
         module.__dict__)
    pure = python_function(module.rhs)
    assert pure(1.5) == 3.0
