"""Where the fits of a run execute: the backends of the runner, one interface.

- ``local.LocalPool``: a new process per fit on this machine, ``jobs`` at once (the default);
- ``local.Inline``: this process, one fit after the other (tests);
- ``dask.DaskCluster``: the workers of a Dask cluster (``--scheduler`` / ``--cluster``).

A backend has ``workers`` (fits it runs at once), ``fetches_data`` (whether its workers fetch
and verify the data themselves; if not, the runner does it once before any fit), ``describe()``
(what the run's session records of it) and ``run(todo, emit)``: a generator that starts the fits
of ``todo`` in that order and yields ``(task, record)`` as each finishes, passing progress
events to ``emit``. Closing the generator (an interrupted run) stops the fits still running.
Every backend runs a fit through ``worker.fit_task``, the one path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from backprop_bench.experiments.planning import FitTask
    from backprop_bench.experiments.records import FitRecord

Event = dict[str, Any]
Emit = Callable[[Event], None]


class Backend(Protocol):
    workers: int
    fetches_data: bool

    def describe(self) -> dict[str, Any]: ...

    def run(self, todo: list[FitTask], emit: Emit) -> Iterator[tuple[FitTask, FitRecord]]: ...
