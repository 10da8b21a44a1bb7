"""What every command that fits shares (``compare``, ``reproduce``, ``sweep``, ``anchors``):
running with progress, SIGTERM as Ctrl-C and a Dask client where asked for; the account of the
run; the README refresh and the exit status."""

from __future__ import annotations

import argparse
import sys


def execute(args: argparse.Namespace, run, folder) -> object:
    """Call ``run(options)`` with the ``runner.RunOptions`` every fitting command shares (jobs,
    progress, the command line, fetching with progress, a Dask client where asked for,
    --allow-large, the results folder ``folder``, an open ``OutputFolder``) and stop it on
    SIGTERM as on Ctrl-C; the cluster options are checked before any work."""
    import signal
    from contextlib import nullcontext

    from backprop_bench.cli.progress import FitProgress
    from backprop_bench.data import datasets
    from backprop_bench.experiments.backends import dask
    from backprop_bench.experiments.runner import RunOptions

    scheduler, local = getattr(args, "scheduler", None), getattr(args, "cluster", None)
    dask.check_options(scheduler, local)
    progress = FitProgress(out=folder.path)

    data_dir = getattr(args, "data_dir", None)

    def fetch(name: str) -> None:
        datasets.load(name, data_dir=data_dir, progress=progress.enabled)

    def stop(signum: int, frame: object) -> None:  # `kill` stops a run as Ctrl-C does
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    connection = (
        nullcontext(None)
        if scheduler is None and local is None
        else dask.connect(scheduler, local, notify=progress.note)
    )
    try:
        with connection as client:
            options = RunOptions(
                jobs=args.jobs,
                client=client,
                on_event=progress,
                command="backprop-bench " + " ".join(sys.argv[1:]),
                fetch=fetch,
                out_dir=folder,
                allow_large=getattr(args, "allow_large", False),
            )
            return run(options)
    finally:
        signal.signal(signal.SIGTERM, previous)
        progress.close()


def report_run(comparison, paths: list, out) -> None:
    """How many fits ran, were cached or skipped, the wall time, and where the files went."""
    from backprop_bench.experiments import runner

    run = comparison.this_run
    print(
        f"{run['fitted']} fits run, {run['cached']} taken from the cache "
        f"({runner.runs_cache_dir()}), {run['skipped']} skipped; "
        f"wall time {run['wall_seconds']:.1f} s"
    )
    print(f"wrote {len(paths)} files to {out}/")
    if run.get("uncached"):
        print(f"warning: {run['uncached']}; those fits are in {out}/ but not cached")


def finish(args: argparse.Namespace, comparison, out, kind: str) -> int:
    """Refresh the README's block of ``out`` (``blocks.refresh``, a block of ``kind``) unless a
    fit crashed; list the crashed fits on stderr; the exit status (1 if any crashed)."""
    from pathlib import Path

    from backprop_bench.reports import blocks

    crashed = comparison.crashed
    readme = Path(args.readme)
    if not crashed and blocks.refresh(readme, out, kind):
        print(f"updated the generated results block in {readme}")
    for record in crashed:
        seed = "" if record.seed is None else f" seed {record.seed}"
        print(
            f"backprop-bench {args.command}: fit {record.model}{seed} crashed: {record.reason}",
            file=sys.stderr,
        )
    if crashed:
        print(
            f"backprop-bench {args.command}: error: {len(crashed)} of "
            f"{len(comparison.records)} fits crashed (listed above; their rows are in {out}/, "
            "not cached, and the README was left alone)",
            file=sys.stderr,
        )
        return 1
    return 0
