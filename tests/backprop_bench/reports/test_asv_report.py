"""The asv report: small result files in asv's own format, written here, read back into tables.

The files mimic asv 0.6 exactly: ``<results>/<machine>/<sha8>-<env>.json`` with
``result_columns`` and parameter values stored as their repr, ``benchmarks.json`` beside the
machine folders, NaN for a skipped combination and null for a failed one.
"""

from __future__ import annotations

import itertools
import math
import subprocess

import pandas as pd
import pytest

from backprop_bench.errors import BenchError
from backprop_bench.reports.asv_report import (
    ROUTINE_BENCHMARK,
    routine_table,
    write_benchmark_report,
)
from backprop_bench.reports.asv_results import read_asv_results, select_run
from backprop_bench.reports.blocks import refresh
from tests.backprop_bench.reports.asv_files import (
    FAILED,
    ROUTINE_PARAMS,
    routine_seconds,
    write_benchmarks_json,
    write_result,
)


def suite_results(scale: float = 1.0, accuracy: float = 0.9) -> dict:
    grid = [routine_seconds(*combo, scale=scale) for combo in itertools.product(*ROUTINE_PARAMS)]
    return {
        ROUTINE_BENCHMARK: (grid, ROUTINE_PARAMS),
        "training.Training.track_test_accuracy": ([accuracy], []),
        "roofline.Roofline.track_ratio": ([0.8, FAILED], [("float64", "float32")]),
        "training.Training.time_epoch": ([0.25], []),
    }


@pytest.fixture
def results_dir(tmp_path):
    root = tmp_path / "results"
    root.mkdir()
    write_benchmarks_json(
        root,
        {
            ROUTINE_BENCHMARK: ("time", "seconds", ["routine", "batch_size", "width"]),
            "training.Training.track_test_accuracy": ("track", "accuracy", []),
            "roofline.Roofline.track_ratio": ("track", "ratio", ["dtype"]),
            "training.Training.time_epoch": ("time", "seconds", []),
        },
    )
    return root


OLD, NEW = "a" * 40, "b" * 40


def test_read_results_keeps_skipped_and_failed_apart(results_dir):
    write_result(results_dir, OLD, 1_000_000, suite_results())
    frame = read_asv_results(results_dir)
    grid = frame[frame["benchmark"] == ROUTINE_BENCHMARK]
    assert len(grid) == 4 * 2 * 2
    first = grid.iloc[0]
    assert first["params"] == {"routine": "loop", "batch_size": 1, "width": 30}
    assert first["value"] == pytest.approx(1e-3)
    assert grid["status"].value_counts().to_dict() == {"ok": 12, "skipped": 4}
    roofline = frame[frame["benchmark"] == "roofline.Roofline.track_ratio"]
    assert roofline["status"].tolist() == ["ok", "failed"]
    assert roofline["params"].iloc[1] == {"dtype": "float32"}
    assert frame["commit"].unique().tolist() == [OLD]
    assert frame["machine"].unique().tolist() == ["box"]


def test_routine_table_divides_by_batch_and_computes_speedups(results_dir):
    write_result(results_dir, OLD, 1_000_000, suite_results())
    table = routine_table(select_run(read_asv_results(results_dir), None, results_dir))
    assert table[["width", "batch_size"]].values.tolist() == [
        [30, 1],
        [30, 10],
        [100, 1],
        [100, 10],
    ]
    row = table.iloc[1]  # width 30, batch 10: 10 samples per call
    assert row["seconds_per_sample_loop"] == pytest.approx(1e-3)
    assert row["seconds_per_sample_vectorised"] == pytest.approx(5e-6)
    assert row["speedup_loop"] == pytest.approx(1e-3 / 5e-6)
    assert row["speedup_per_sample"] == pytest.approx(1e-4 / 5e-6)
    assert "speedup_vectorised" not in table
    # Skipped combinations stay in the table, marked, with no number.
    assert table.iloc[3]["status_loop"] == "skipped"
    assert math.isnan(table.iloc[3]["seconds_per_sample_loop"])
    assert table["status_numerical"].tolist() == ["ok", "skipped", "skipped", "skipped"]
    assert table.iloc[0]["speedup_numerical"] == pytest.approx(2.0 / 5e-6)


def test_report_writes_tables_and_plot_for_one_commit(results_dir, tmp_path):
    write_result(results_dir, OLD, 1_000_000, suite_results())
    out = tmp_path / "out"
    written = write_benchmark_report(results_dir, out)
    names = sorted(path.name for path in written)
    assert names == ["routines.csv", "routines.md", "routines.png", "summary.csv", "summary.md"]
    assert all(path.is_file() and path.stat().st_size > 0 for path in written)
    assert (out / "routines.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = pd.read_csv(out / "routines.csv")
    assert len(table) == 4
    markdown = (out / "routines.md").read_text()
    assert "aaaaaaaa" in markdown and "Test CPU" in markdown
    assert "skipped" in markdown
    assert "200x" in markdown  # loop vs vectorised: 1 ms / 5 µs
    summary = pd.read_csv(out / "summary.csv")
    assert ROUTINE_BENCHMARK not in summary["benchmark"].tolist()
    assert summary.set_index("params").loc["dtype=float32", "status"] == "failed"


def test_latest_commit_by_default_and_history_across_commits(results_dir, tmp_path):
    write_result(results_dir, OLD, 1_000_000, suite_results(scale=2.0, accuracy=0.8))
    write_result(results_dir, NEW, 2_000_000, suite_results(scale=1.0, accuracy=0.9))
    out = tmp_path / "out"
    written = {path.name for path in write_benchmark_report(results_dir, out)}
    assert {"history.csv", "history.png"} <= written
    table = pd.read_csv(out / "routines.csv")
    assert table.loc[0, "seconds_per_sample_loop"] == pytest.approx(1e-3)  # NEW's, not OLD's
    history = pd.read_csv(out / "history.csv")
    assert history["commit"].tolist() == ["aaaaaaaa", "bbbbbbbb"]
    accuracy = history["training.Training.track_test_accuracy"].tolist()
    assert accuracy == pytest.approx([0.8, 0.9])
    assert history["roofline.Roofline.track_ratio(dtype=float64)"].tolist() == [0.8, 0.8]

    older = tmp_path / "older"
    write_benchmark_report(results_dir, older, commit="aaaa")
    table = pd.read_csv(older / "routines.csv")
    assert table.loc[0, "seconds_per_sample_loop"] == pytest.approx(2e-3)


def test_a_rerun_of_a_commit_replaces_the_earlier_run(results_dir, tmp_path):
    write_result(results_dir, OLD, 1_000_000, suite_results(scale=5.0), env="first")
    write_result(results_dir, OLD, 3_000_000, suite_results(), env="second")  # started later
    write_benchmark_report(results_dir, tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "routines.csv")
    assert table.loc[0, "seconds_per_sample_loop"] == pytest.approx(1e-3)
    assert "environment second" in (tmp_path / "out" / "routines.md").read_text()


def test_results_of_an_older_suite_keep_their_own_parameters(results_dir, tmp_path):
    """benchmarks.json describes today's suite; an old result may have other parameters."""
    old = suite_results()
    old["roofline.Roofline.track_ratio"] = ([0.7, 0.6, 0.5, None], [("float64", "float32"), (1, 2)])
    write_result(results_dir, OLD, 1_000_000, old)
    frame = read_asv_results(results_dir)
    roofline = frame[frame["benchmark"] == "roofline.Roofline.track_ratio"]
    assert roofline["params"].iloc[1] == {"param0": "float64", "param1": 2}
    assert roofline["status"].tolist() == ["ok", "ok", "ok", "failed"]


def test_history_ignores_other_machines(results_dir, tmp_path):
    write_result(results_dir, OLD, 1_000_000, suite_results(), machine="other")
    write_result(results_dir, NEW, 2_000_000, suite_results())
    written = {path.name for path in write_benchmark_report(results_dir, tmp_path / "out")}
    assert "history.png" not in written


def test_commit_named_through_git(results_dir, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "one"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    results = repo / ".asv" / "results"
    results.mkdir(parents=True)
    (results / "benchmarks.json").write_text((results_dir / "benchmarks.json").read_text())
    write_result(results, head, 1_000_000, suite_results(scale=3.0))
    write_result(results, NEW, 2_000_000, suite_results())
    write_benchmark_report(results, tmp_path / "out", commit="HEAD")
    table = pd.read_csv(tmp_path / "out" / "routines.csv")
    assert table.loc[0, "seconds_per_sample_loop"] == pytest.approx(3e-3)


def test_unknown_commit_is_one_clear_error(results_dir, tmp_path):
    write_result(results_dir, OLD, 1_000_000, suite_results())
    with pytest.raises(BenchError, match=r"no asv results for commit 'cafe'.*aaaaaaaa"):
        write_benchmark_report(results_dir, tmp_path / "out", commit="cafe")


def test_ambiguous_commit_prefix(results_dir, tmp_path):
    write_result(results_dir, "ab" + "1" * 38, 1_000_000, suite_results())
    write_result(results_dir, "ab" + "2" * 38, 2_000_000, suite_results())
    with pytest.raises(BenchError, match="ambiguous"):
        write_benchmark_report(results_dir, tmp_path / "out", commit="ab")


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_no_results_is_one_clear_error(tmp_path, make):
    root = tmp_path / "results"
    if make == "empty":
        (root / "box").mkdir(parents=True)
        (root / "box" / "machine.json").write_text("{}")
    with pytest.raises(BenchError, match=r"asv results.*asv run"):
        write_benchmark_report(root, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_results_without_the_routine_grid(results_dir, tmp_path):
    results = suite_results()
    del results[ROUTINE_BENCHMARK]
    write_result(results_dir, OLD, 1_000_000, results)
    with pytest.raises(BenchError, match=ROUTINE_BENCHMARK):
        write_benchmark_report(results_dir, tmp_path / "out")


def test_corrupt_result_file_names_the_file(results_dir, tmp_path):
    (results_dir / "box").mkdir()
    (results_dir / "box" / "aaaaaaaa-venv.json").write_text("{not json")
    with pytest.raises(BenchError, match=r"aaaaaaaa-venv\.json"):
        write_benchmark_report(results_dir, tmp_path / "out")


def test_readme_block_is_replaced_with_the_routine_table(results_dir, tmp_path):
    write_result(results_dir, OLD, 1_000_000, suite_results())
    out = tmp_path / "results" / "benchmarks"
    write_benchmark_report(results_dir, out)
    readme = tmp_path / "README.md"
    start = "<!-- results:benchmarks start (generated by backprop-bench; do not edit) -->"
    end = "<!-- results:benchmarks end -->"
    readme.write_text(f"# Title\n\n{start}\nold text\n{end}\n\n## Next\n")
    assert refresh(readme, out, "benchmarks")
    text = readme.read_text()
    assert "old text" not in text
    assert text.startswith("# Title\n\n") and text.endswith(f"{end}\n\n## Next\n")
    assert "commit aaaaaaaa" in text and "200x" not in text  # the run, its table linked
    assert "The table: [results/benchmarks/routines.md](results/benchmarks/routines.md)." in text
    assert "](results/benchmarks/routines.png)" in text
    assert "](results/benchmarks/summary.md)" in text


def test_readme_without_a_block_is_left_alone(results_dir, tmp_path):
    write_result(results_dir, OLD, 1_000_000, suite_results())
    write_benchmark_report(results_dir, tmp_path / "out")
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    assert not refresh(readme, tmp_path / "out", "benchmarks")
    assert readme.read_text() == "# Title\n"


def test_report_command_writes_the_benchmarks_and_the_readme_block(
    results_dir, tmp_path, monkeypatch, capsys
):
    from backprop_bench.cli import main

    write_result(results_dir, OLD, 1_000_000, suite_results())
    work = tmp_path / "clone"
    work.mkdir()
    monkeypatch.chdir(work)  # no results/*/runs.jsonl here: only the benchmarks are reported
    start = "<!-- results:benchmarks start (generated by backprop-bench; do not edit) -->"
    (work / "README.md").write_text(f"{start}\n<!-- results:benchmarks end -->\n")
    assert main(["report", "--asv-results", str(results_dir)]) == 0
    assert (work / "results" / "benchmarks" / "routines.csv").is_file()
    assert "](results/benchmarks/routines.png)" in (work / "README.md").read_text()
    assert "updated the generated benchmarks block" in capsys.readouterr().out

    assert main(["report", "--asv-results", str(results_dir), "--commit", "cafe"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "no asv results for commit 'cafe'" in error
