"""Sweeps: the TOML file is checked before any work; a small sweep on digits runs, resumes and
renders a tidy table, plots per axis, exponents and crossings."""

from __future__ import annotations

import pandas as pd
import pytest

from backprop_bench.cli import main
from backprop_bench.errors import BenchError
from backprop_bench.experiments import runner, sweeps
from backprop_bench.experiments.records import FitCache
from backprop_bench.reports import sweeps as sweep_report

GOOD = """
title = "digits, small"
datasets = ["digits"]
n_train = [200, 400, 800]
n_test = 200
seeds = [0, 1]
models = ["mnist-000", "linear", "svc"]

[grid.svc]
C = [1.0, 10.0]
"""


def write(tmp_path, text: str):
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    return path


def test_a_good_file_expands_into_points_and_plans(tmp_path):
    sweep = sweeps.read_sweep(write(tmp_path, GOOD))
    assert [point.label for point in sweep.points] == [
        "mnist-000", "linear", "svc C=1.0", "svc C=10.0",
    ]  # fmt: skip
    assert sweep.axes == ["n_train", "C"]
    plans = sweeps.plans(sweep)
    assert [plan.data.n_train for plan in plans] == [200, 400, 800]
    # the network over both seeds, the deterministic models once: 2 + 1 + 1 + 1 per size
    assert [len(plan.tasks) for plan in plans] == [5, 5, 5]
    keys = [task.key for plan in plans for task in plan.tasks]
    assert len(set(keys)) == len(keys)
    assert dict(sweep.points[3].spec.params) == {"C": 10.0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 'red'\n" + GOOD, r"sweep.toml: colour: unknown key; allowed: title"),
        (GOOD.replace('models = ["mnist-000", "linear", "svc"]', ""), r"models: missing"),
        (GOOD.replace("n_train = [200, 400, 800]", "n_train = []"), r"n_train: an empty list"),
        (GOOD.replace("C = [1.0, 10.0]", "C = []"), r"grid.svc.C: an empty list"),
        (GOOD.replace("C = [1.0, 10.0]", "kernel_size = [3]"),
         r"grid.svc.kernel_size: unknown parameter; svc has \[.*'C'"),
        (GOOD.replace("C = [1.0, 10.0]", "C = [1.0, -1.0]"),
         r"grid.svc: \{'C': -1.0\}: The 'C' parameter of SVC must be a float in the range"),
        (GOOD + "[grid.mlp]\nalpha = [0.1]\n", r"grid.mlp: not a model of this sweep"),
        (GOOD.replace('"svc"]', '"svm"]'), r"models: unknown model 'svm'"),
        (GOOD.replace("[200, 400, 800]", "[200, 400, 5000]"),
         r"dataset digits, n_train 5000: n_train=5000 is not allowed for dataset 'digits'"),
        (GOOD.replace("seeds = [0, 1]", "seeds = [0, -1]"), r"seeds: \[0, -1\]: give a list"),
        (GOOD.replace("seeds = [0, 1]", "seeds = [0, 0]"), r"seeds: \[0, 0\] repeats a value"),
        (GOOD + "[grid.mnist-000]\nepochs = [0]\n",
         r"grid.mnist-000: \{'epochs': 0\}: The 'epochs' parameter of NetworkClassifier"),
        ("dtype = 'float16'\n" + GOOD, r"dtype='float16' is not allowed"),
        ("datasets = [\n", r"sweep.toml: not valid TOML"),
        ("out = 5\n" + GOOD, r"sweep.toml: out: 5: give a non-empty string"),
        ("out = {a = 1}\n" + GOOD, r"sweep.toml: out: \{'a': 1\}: give a non-empty string"),
        ("out = ''\n" + GOOD, r"sweep.toml: out: '': give a non-empty string"),
        ("network = ['mnist-000']\n" + GOOD, r"network: \['mnist-000'\]: give a non-empty"),
        (GOOD.replace('"digits, small"', "3"), r"sweep.toml: title: 3: give a non-empty string"),
        ("n_test = '200'\n" + GOOD.replace("n_test = 200\n", ""), r"n_test: '200': give an int"),
        (GOOD.replace("seeds = [0, 1]", "seeds = [0, 4294967296]"),
         r"seeds: seed 4294967296 is too large: seeds run from 0 to 4294967295"),
        (GOOD + "[grid.mnist-000]\nhidden_layer_sizes = [[-3, 0]]\n",
         r"grid.mnist-000: \{'hidden_layer_sizes': \(-3, 0\)\}"),
        (GOOD.replace('"svc"]', '"svc", "mlp"]') + "[grid.mlp]\nhidden_layer_sizes = [[-3, 0]]\n",
         r"grid.mlp: \{'hidden_layer_sizes': \(-3, 0\)\}: hidden_layer_sizes=\(-3, 0\): give"),
        (GOOD.replace("C = [1.0, 10.0]", "C = [1.0, 10.0]\ngamma = [1.0, 2.0]\n")
         .replace("[grid.svc]", "[grid.svc]\ntol = " + str([i / 1e4 for i in range(1, 2001)])),
         r"sweep.toml: the sweep holds 24,\d{3} fits, more than 10,000: check its grid and "
         r"seeds, or pass --allow-large"),
    ],
)  # fmt: skip
def test_an_invalid_file_is_refused_naming_the_entry(tmp_path, text, message):
    with pytest.raises(BenchError, match=message):
        sweeps.read_sweep(write(tmp_path, text))


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(BenchError, match=r"nothing.toml: cannot read it"):
        sweeps.read_sweep(tmp_path / "nothing.toml")


def run_small(tmp_path, cache, **how):
    sweep = sweeps.read_sweep(write(tmp_path, GOOD))
    comparison = runner.run_plans(sweeps.plans(sweep), runner.RunOptions(cache=cache, **how))
    out = tmp_path / "out"
    sweep_report.write_sweep(out, sweep.describe(), comparison)
    return comparison, out


def test_a_small_sweep_writes_a_tidy_table_and_plots_per_axis(tmp_path):
    cache = FitCache(tmp_path / "runs")
    _, out = run_small(tmp_path, cache, isolate=False)
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 15 and (table["status"] == "ok").all()
    assert sorted(table["n_train"].unique()) == [200, 400, 800]
    svc = table[table["model"] == "svc"]
    assert sorted(svc["C"].unique()) == [1.0, 10.0] and svc["seed"].isna().all()
    network = table[table["model"] == "mnist-000"]
    assert network["seconds_per_epoch"].gt(0).all() and sorted(network["seed"].unique()) == [0, 1]
    for axis in ("n_train", "C"):
        assert (out / f"accuracy_vs_{axis}.png").stat().st_size > 0
        assert (out / f"time_vs_{axis}.png").stat().st_size > 0
    exponents = pd.read_csv(out / "exponents.csv")
    assert set(exponents["model"]) == {"mnist-000", "linear", "svc C=1.0", "svc C=10.0"}
    assert set(exponents["time"]) == {"fit", "predict"}
    assert (exponents["points"] == 3).all()
    crossings = pd.read_csv(out / "crossings.csv")
    assert set(crossings["other"]) == {"linear", "svc C=1.0", "svc C=10.0"}
    summary = (out / "summary.md").read_text()
    assert "15 of 15 fits finished, over n_train, C" in summary
    assert "![test accuracy against n_train](accuracy_vs_n_train.png)" in summary
    # resumed from the cache: nothing is fitted twice
    again, _ = run_small(tmp_path, cache, isolate=False)
    assert again.this_run["fitted"] == 0 and again.this_run["cached"] == 15


def test_exponents_recover_a_planted_power_law():
    rows = [
        {"model": "m", "label": "m", "n_train": n, "seed": seed, "status": "ok",
         "test_accuracy": 0.9, "fit_seconds": 3e-6 * n**2 * (1 + 0.01 * seed),
         "predict_seconds": 1e-4 * n}
        for n in (1000, 2000, 4000, 8000) for seed in (0, 1)
    ]  # fmt: skip
    found = sweep_report.exponents(pd.DataFrame(rows), ["n_train"]).set_index("time")
    assert found.loc["fit", "exponent"] == pytest.approx(2.0, abs=1e-9)
    assert found.loc["predict", "exponent"] == pytest.approx(1.0, abs=1e-9)


def test_crossings_name_the_sizes_between_which_the_network_overtakes():
    accuracy = {"net": [0.80, 0.90, 0.97], "svc": [0.85, 0.92, 0.95]}
    rows = [
        {"model": model, "label": model, "n_train": n, "seed": 0, "status": "ok",
         "test_accuracy": accuracy[model][i]}
        for model in accuracy for i, n in enumerate((100, 1000, 10000))
    ]  # fmt: skip
    found = sweep_report.crossings(pd.DataFrame(rows), ["n_train"], "net")
    assert found.to_dict("records") == [
        {"network": "net", "event": "overtakes", "other": "svc", "n_train_from": 1000,
         "n_train_to": 10000}
    ]  # fmt: skip


def test_the_best_width_is_named_per_initialiser_and_said_to_depend_on_it():
    accuracy = {
        "normal": {10: 0.91, 30: 0.95, 300: 0.40}, "fan_in": {10: 0.92, 30: 0.96, 300: 0.97}
    }  # fmt: skip
    rows = [
        {"model": "net", "label": f"net {init} {h}", "hidden": h, "init": init, "seed": seed,
         "status": "ok", "test_accuracy": accuracy[init][h] + 0.001 * seed}
        for init in accuracy for h in accuracy[init] for seed in (0, 1)
    ]  # fmt: skip
    best = sweep_report.best_by_axis(pd.DataFrame(rows), ["hidden", "init"])
    width = best[best["axis"] == "hidden"].set_index("line")
    assert width["best"].to_dict() == {"net init=normal": 30, "net init=fan_in": 300}
    assert width.loc["net init=fan_in", "accuracy"] == pytest.approx(0.9705)
    init = best[best["axis"] == "init"].set_index("line")["best"].to_dict()
    assert init == {f"net hidden={h}": "fan_in" for h in (10, 30, 300)}
    sentences = sweep_report._best_sentences(best, ["hidden", "init"])
    assert sentences[0] == (
        "The most accurate hidden (mean test accuracy over seeds): 30 (0.9505) with "
        "`net init=normal`, 300 (0.9705) with `net init=fan_in`; which is best depends on init."
    )
    assert sentences[1].startswith(  # in the sweep's order, not the labels' alphabetical one
        "The most accurate init (mean test accuracy over seeds): fan_in (0.9205) with "
        "`net hidden=10`, fan_in (0.9605) with `net hidden=30`, fan_in (0.9705) with "
        "`net hidden=300`"
    )
    assert sentences[1].endswith("; the same whatever hidden.")
    assert sweep_report.best_by_axis(pd.DataFrame(rows), ["hidden"]).empty  # one axis: no claim


def test_the_sweep_command_runs_and_refreshes_its_readme_block(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BACKPROP_BENCH_CACHE", str(tmp_path / "cache"))
    path = write(tmp_path, GOOD.replace("n_train = [200, 400, 800]", "n_train = [200, 400]"))
    readme = tmp_path / "README.md"
    readme.write_text(
        "# t\n<!-- results:out start (generated by backprop-bench; do not edit) -->\nold\n"
        "<!-- results:out end -->\n"
    )
    argv = ["sweep", str(path), "--out", str(tmp_path / "out"), "--readme", str(readme)]
    assert main(argv) == 0, capsys.readouterr().err
    text = readme.read_text()
    assert "old" not in text and "10 of 10 fits finished" in text
    assert "](out/accuracy_vs_n_train.png)" in text


def test_the_sweep_command_refuses_a_bad_file_before_any_work(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("C = [1.0, 10.0]", "C = []"))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err == (
        f"backprop-bench sweep: error: {path}: grid.svc.C: an empty list: give at least one value\n"
    )
    assert not (tmp_path / "out").exists()
