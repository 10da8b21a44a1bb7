"""Plots are written (PNG) from records, including awkward ones (failures only)."""

from __future__ import annotations

import numpy as np

from backprop_bench.reports import plots
from tests.backprop_bench.support import fit_record

PNG = b"\x89PNG\r\n\x1a\n"


def record(model, seed, accuracy, *, kind=None, history=True, status="ok"):
    rng = np.random.default_rng(seed or 0)
    curve = np.sort(rng.uniform(0.5, accuracy, 5)) if history else None
    matrix = np.diag([45, 40, 50]) + rng.integers(0, 3, (3, 3))
    return fit_record(**{
        "model": model, "kind": kind or model, "seed": seed, "status": status,
        "test_accuracy": accuracy, "fit_seconds": 0.5 + (seed or 0),
        "confusion_matrix": matrix.tolist(),
        "history": None if curve is None else [
            {"epoch": i + 1, "test_accuracy": float(a)} for i, a in enumerate(curve)
        ],
    })  # fmt: skip


RECORDS = [
    record("net", 0, 0.90, kind="network"),
    record("net", 1, 0.93, kind="network"),
    record("net", 2, 0.91, kind="network"),
    record("mlp", 0, 0.92),
    record("svc", None, 0.96, history=False),
    record("linear", None, 0.88, history=False),
    record("broken", 0, None, history=False, status="diverged"),
]


def test_every_plot_is_written_as_png(tmp_path):
    plots.learning_curves(RECORDS, tmp_path / "curves.png")
    plots.accuracy_vs_fit_time(RECORDS, tmp_path / "time.png")
    shown = plots.confusion_matrices(RECORDS, "net", tmp_path / "confusion.png")
    for name in ("curves.png", "time.png", "confusion.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG)
    assert shown == ["net", "svc"]  # the network and the best other model
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary file


def test_the_median_seed_is_shown():
    fits = [r for r in RECORDS if r.model == "net"]
    assert plots.median_fit(fits).seed == 2  # accuracies 0.90, 0.93, 0.91


def test_without_a_network_the_two_best_models_are_shown(tmp_path):
    shown = plots.confusion_matrices(RECORDS[3:], None, tmp_path / "confusion.png")
    assert shown == ["svc", "mlp"]


def test_records_without_finished_fits_still_give_figures(tmp_path):
    failed = [record("broken", 0, None, history=False, status="diverged")]
    plots.learning_curves(failed, tmp_path / "curves.png")
    plots.accuracy_vs_fit_time(failed, tmp_path / "time.png")
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG)
    assert plots.confusion_matrices(failed, None, tmp_path / "confusion.png") == []
    assert not (tmp_path / "confusion.png").exists()
