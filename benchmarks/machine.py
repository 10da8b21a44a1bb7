"""The machine's own drift: fixed workloads that no change to the project can make faster or
slower.

``time_reference("python")`` is 20,000 pure-Python multiply-adds (the loop routine's kind of
work); ``time_reference("numpy")`` a 200 x 200 float64 matrix product on one BLAS thread (the
vectorised routine's kind). Neither touches ``nets``, ``baselines`` or ``backprop_bench``. When
these move between two runs (an A/A pair, or a base and a head), the machine changed speed,
not the code: every other benchmark's change must be read against theirs.
"""

from __future__ import annotations

import numpy as np

from .common import Benchmark, limit_blas

_MATRIX = np.random.default_rng(0).random((200, 200))


def _python_work() -> float:
    total = 0.0
    for i in range(20_000):
        total += i * 0.5
    return total


class MachineReference(Benchmark):
    """No ``setup``: asv fills each 20 ms sample with as many calls as fit (see
    ``gradients.GradientRoutines``)."""

    params = (("python", "numpy"),)
    param_names = ("work",)

    def time_reference(self, work):
        if work == "python":
            _python_work()
        else:
            limit_blas()  # a no-op after the first call in this process
            _MATRIX @ _MATRIX
