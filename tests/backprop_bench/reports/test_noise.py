"""Noise floors from A/A pairs and regression calls against them, on small asv result files."""

from __future__ import annotations

import math
import subprocess

import pandas as pd
import pytest

from backprop_bench.cli import main
from backprop_bench.errors import BenchError
from backprop_bench.reports import noise
from backprop_bench.reports.asv_results import read_asv_results, read_result_file
from tests.backprop_bench.reports.asv_files import write_benchmarks_json, write_result

ROUTINE = "gradients.GradientRoutines.time_gradient"
ACCURACY = "training.Training.track_test_accuracy"
EPOCH = "training.Training.time_epoch"
PARAMS = [("loop", "vectorised"), (1, 10)]


def suite(loop=(1.0, 10.0), vectorised=(0.01, 0.02), accuracy=0.9, epoch=0.25) -> dict:
    return {
        ROUTINE: ([*loop, *vectorised], PARAMS),
        ACCURACY: ([accuracy], []),
        EPOCH: ([epoch], []),
    }


@pytest.fixture
def results(tmp_path):
    root = tmp_path / "results"
    root.mkdir()
    write_benchmarks_json(
        root,
        {
            ROUTINE: ("time", "seconds", ["routine", "batch_size"]),
            ACCURACY: ("track", "accuracy", []),
            EPOCH: ("time", "seconds", []),
            noise.REFERENCE: ("time", "seconds", ["work"]),
        },
    )
    return root


def one_run(root, commit, results, date=1_000_000, **where) -> pd.DataFrame:
    write_result(root, commit, date, results, **where)
    frame = read_asv_results(root)
    return frame[frame["commit"] == commit]


def test_noise_floor_is_the_larger_over_the_smaller(results):
    first = one_run(results, "a" * 40, suite(loop=(1.0, 10.0), epoch=0.25))
    write_result(results, "a" * 40, 1_000_000, suite(loop=(1.1, 9.0), epoch=0.25))
    second = read_asv_results(results)
    table = noise.noise_floor_table(first, second).set_index(["benchmark", "params"])
    assert table.loc[(ROUTINE, "routine=loop, batch_size=1"), "ratio"] == pytest.approx(1.1)
    assert table.loc[(ROUTINE, "routine=loop, batch_size=10"), "ratio"] == pytest.approx(
        10 / 9, abs=1e-4
    )
    assert table.loc[(EPOCH, ""), "ratio"] == 1.0
    assert table.loc[(ACCURACY, ""), "type"] == "track"
    summary = noise.noise_summary(table.reset_index())
    assert summary["time"]["count"] == 5
    assert summary["time"]["largest"] == pytest.approx(1.1111, abs=1e-4)
    assert "time: 5 measured" in noise.summary_line(table.reset_index())
    assert "0 beyond 1.15" in noise.summary_line(table.reset_index())


def test_noise_floor_leaves_skipped_and_failed_without_a_ratio(results):
    first = one_run(results, "a" * 40, suite(loop=(1.0, math.nan)))
    write_result(results, "a" * 40, 1_000_000, suite(loop=(1.0, None)))
    table = noise.noise_floor_table(first, read_asv_results(results))
    assert table["ratio"].isna().sum() == 1


def floor_of(**ratios) -> pd.DataFrame:
    rows = [
        (ROUTINE, "routine=loop, batch_size=1", "time", ratios.get("loop1", 1.3)),
        (ROUTINE, "routine=loop, batch_size=10", "time", ratios.get("loop10", 1.01)),
        (ACCURACY, "", "track", 1.0),
    ]
    return pd.DataFrame(rows, columns=["benchmark", "params", "type", "ratio"])


def test_regression_calls_only_beyond_the_floor(results):
    base = one_run(results, "a" * 40, suite())
    head = one_run(
        results,
        "b" * 40,
        suite(loop=(1.25, 10.5), vectorised=(0.01, 0.05), accuracy=0.85, epoch=0.1),
        date=2_000_000,
    )
    table = noise.regression_table(base, head, floor_of()).set_index(["benchmark", "params"])
    verdicts = table["verdict"].to_dict()
    # 1.25x slower, but this benchmark's own floor is 1.3 (threshold 1.3 cubed): not called.
    assert verdicts[(ROUTINE, "routine=loop, batch_size=1")] == "same"
    # 1.05x: its floor is 1.01, but nothing under LEAST_CHANGE (1.10) squared is called.
    assert verdicts[(ROUTINE, "routine=loop, batch_size=10")] == "same"
    assert table.loc[(ROUTINE, "routine=loop, batch_size=10"), "threshold"] == 1.331
    # 2.5x slower without a recorded floor: LEAST_CHANGE decides.
    assert verdicts[(ROUTINE, "routine=vectorised, batch_size=10")] == "slower"
    assert math.isnan(table.loc[(ROUTINE, "routine=vectorised, batch_size=10"), "noise_floor"])
    assert verdicts[(ROUTINE, "routine=vectorised, batch_size=1")] == "same"
    assert verdicts[(EPOCH, "")] == "faster"
    assert verdicts[(ACCURACY, "")] == "lower"
    assert table.loc[(ACCURACY, ""), "ratio"] == pytest.approx(0.85 / 0.9, abs=1e-4)


def test_regression_new_gone_and_unmeasured(results):
    base = one_run(results, "a" * 40, suite(loop=(math.nan, 10.0)))
    head = one_run(results, "b" * 40, suite(loop=(1.0, None)), date=2_000_000)
    head = head[head["benchmark"] != EPOCH]
    table = noise.regression_table(base, head, floor_of()).set_index(["benchmark", "params"])
    assert table.loc[(ROUTINE, "routine=loop, batch_size=1"), "verdict"] == "new"
    assert table.loc[(ROUTINE, "routine=loop, batch_size=10"), "verdict"] == "gone"
    assert table.loc[(EPOCH, ""), "verdict"] == "gone"
    assert not set(table["verdict"]) & {"slower", "faster"} - {"slower"}


def test_a_missing_or_malformed_floor_is_one_line(tmp_path):
    with pytest.raises(BenchError, match=r"no noise floor at .*run `backprop-bench noise-floor`"):
        noise.read_noise_floor(tmp_path / "absent.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("benchmark,value\nx,1\n")
    with pytest.raises(BenchError, match="not a noise floor: it has no params, ratio, type"):
        noise.read_noise_floor(bad)


def test_noise_floor_command_from_two_files(results, tmp_path, capsys):
    write_result(results, "a" * 40, 1_000_000, suite(loop=(1.0, 10.0)))
    first = tmp_path / "first.json"
    (results / "box" / f"{'a' * 8}-venv-py.json").rename(first)
    write_result(results, "a" * 40, 1_000_000, suite(loop=(1.2, 10.0)))
    second = results / "box" / f"{'a' * 8}-venv-py.json"
    out = tmp_path / "out"
    code = main(
        ["noise-floor", "--from", str(first), str(second), "--asv-results", str(results),
         "--out", str(out), "--readme", str(tmp_path / "no-readme.md")]
    )  # fmt: skip
    assert code == 0
    floor = noise.read_noise_floor(out / "noise_floor.csv")
    row = floor[floor["params"] == "routine=loop, batch_size=1"].iloc[0]
    assert row["ratio"] == pytest.approx(1.2)
    text = (out / "noise_floor.md").read_text()
    assert "run twice on commit aaaaaaaa, machine box (Test CPU, 2 cores)" in text
    assert "1 beyond 1.15" in capsys.readouterr().out


def test_noise_floor_command_refuses_two_commits(results, tmp_path, capsys):
    write_result(results, "a" * 40, 1_000_000, suite())
    write_result(results, "b" * 40, 2_000_000, suite())
    files = [str(results / "box" / f"{c * 8}-venv-py.json") for c in "ab"]
    code = main(["noise-floor", "--from", *files, "--out", str(tmp_path / "out")])
    assert code == 1
    assert "runs of different commits (aaaaaaaa, bbbbbbbb)" in capsys.readouterr().err


def git(folder, *args) -> str:
    done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def two_commits(tmp_path, monkeypatch):
    """A git repository with two commits; the working directory for the command."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for message in ("base", "head"):
        git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty",
            "-m", message)  # fmt: skip
    monkeypatch.chdir(repo)
    return git(repo, "rev-parse", "HEAD~1"), git(repo, "rev-parse", "HEAD")


def test_regressions_command_flags_and_exits_1(results, tmp_path, two_commits, capsys):
    base, head = two_commits
    write_result(results, base, 1_000_000, suite())
    write_result(results, head, 2_000_000, suite(vectorised=(0.01, 0.04)))
    floor = tmp_path / "floor.csv"
    floor_of().to_csv(floor, index=False)
    argv = [
        "regressions",
        "HEAD~1",
        "HEAD",
        "--stored",
        "--asv-results",
        str(results),
        "--noise-floor",
        str(floor),
    ]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "routine=vectorised, batch_size=10" in out and "slower" in out
    assert "1 of 6 benchmarks changed beyond their noise floor (5 same, 1 slower)" in out
    write_result(results, head, 2_000_000, suite())
    assert main(argv) == 0
    assert "0 of 6 benchmarks changed" in capsys.readouterr().out


def test_regressions_command_errors(results, tmp_path, two_commits, capsys):
    base, head = two_commits
    floor = tmp_path / "floor.csv"
    argv = [
        "regressions",
        "HEAD~1",
        "HEAD",
        "--stored",
        "--asv-results",
        str(results),
        "--noise-floor",
        str(floor),
    ]
    assert main(argv) == 1
    assert "no noise floor at" in capsys.readouterr().err
    floor_of().to_csv(floor, index=False)
    write_result(results, base, 1_000_000, suite())
    assert main(argv) == 1
    assert f"no asv results for HEAD ({head[:8]})" in capsys.readouterr().err
    write_result(results, head, 2_000_000, suite(), machine="other")
    assert main(argv) == 1
    assert "compare runs of one machine and environment" in capsys.readouterr().err
    assert main(["regressions", "nope", "HEAD", "--stored", "--noise-floor", str(floor)]) == 1
    assert "commit 'nope': git knows no such commit here" in capsys.readouterr().err


def test_read_result_file_reads_one_run(results):
    write_result(results, "a" * 40, 1_000_000, suite())
    frame = read_result_file(results / "box" / f"{'a' * 8}-venv-py.json")
    assert set(frame["benchmark"]) == {ROUTINE, ACCURACY, EPOCH}
    assert frame.loc[frame["benchmark"] == ACCURACY, "unit"].iloc[0] == "accuracy"


def test_the_machine_reference_is_reported_not_flagged(results):
    reference = {noise.REFERENCE: ([1e-3, 5e-4], [("python", "numpy")])}
    base = one_run(results, "a" * 40, {**suite(), **reference})
    slower = {noise.REFERENCE: ([1.5e-3, 5e-4], [("python", "numpy")])}
    head = one_run(results, "b" * 40, {**suite(), **slower}, date=2_000_000)
    table = noise.regression_table(base, head, floor_of()).set_index(["benchmark", "params"])
    assert table.loc[(noise.REFERENCE, "work=python"), "verdict"] == "machine slower"
    assert not table["verdict"].isin(noise.FLAGGED).any()
    aa = noise.noise_floor_table(base, head)
    assert "the machine's own fixed workloads moved by numpy 1.000, python 1.500" in (
        noise.summary_line(aa)
    )


def test_a_machine_that_slowed_down_widens_the_times_thresholds(results):
    reference = {noise.REFERENCE: ([1e-3, 5e-4], [("python", "numpy")])}
    base = one_run(results, "a" * 40, {**suite(), **reference})
    # The machine's Python workload is 1.5x slower; loop 1.6x (machine), vectorised 3x (code).
    slower = {noise.REFERENCE: ([1.5e-3, 5e-4], [("python", "numpy")])}
    head = one_run(
        results,
        "b" * 40,
        {**suite(loop=(1.6, 16.0), vectorised=(0.03, 0.06), accuracy=0.8), **slower},
        date=2_000_000,
    )
    table = noise.regression_table(base, head, floor_of()).set_index(["benchmark", "params"])
    assert noise.machine_drift(table.reset_index()) == pytest.approx(1.5)
    assert table.loc[(ROUTINE, "routine=loop, batch_size=10"), "verdict"] == "same"
    assert table.loc[(ROUTINE, "routine=loop, batch_size=10"), "threshold"] == pytest.approx(
        1.331 * 1.5, abs=1e-3
    )
    assert table.loc[(ROUTINE, "routine=vectorised, batch_size=1"), "verdict"] == "slower"
    assert table.loc[(ACCURACY, ""), "verdict"] == "lower"  # not a time: not widened


# --- bad input on the asv side: one line, before anything is written ---------------------------


@pytest.fixture
def committed_floor(tmp_path):
    """A results folder holding a floor already, which a refused run must leave as it was."""
    out = tmp_path / "out"
    out.mkdir()
    floor_of().to_csv(out / "noise_floor.csv", index=False)
    return out / "noise_floor.csv"


def aa_files(results, tmp_path, first_suite, second_suite, machine="box") -> list[str]:
    write_result(results, "a" * 40, 1_000_000, first_suite)
    first = tmp_path / "first.json"
    (results / "box" / f"{'a' * 8}-venv-py.json").rename(first)
    write_result(results, "a" * 40, 2_000_000, second_suite, machine=machine)
    return [str(first), str(results / machine / f"{'a' * 8}-venv-py.json")]


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("disjoint", "have no benchmark that both measured"),
        ("twice", "the same file twice"),
        ("copy", "the two files are identical"),
        ("machines", "are runs of different machines (box, other)"),
        ("missing", "no such file"),
    ],
)
def test_noise_floor_refuses_what_is_no_aa_pair(
    results, tmp_path, committed_floor, capsys, case, message
):
    if case == "disjoint":
        files = aa_files(results, tmp_path, {EPOCH: ([0.25], [])}, {ACCURACY: ([0.9], [])})
    elif case == "machines":
        files = aa_files(results, tmp_path, suite(), suite(), machine="other")
    else:
        files = aa_files(results, tmp_path, suite(), suite(loop=(1.2, 10.0)))
        if case == "twice":
            files = [files[0], str(tmp_path / "." / "first.json")]
        elif case == "copy":
            copy = tmp_path / "copy.json"
            copy.write_bytes((tmp_path / "first.json").read_bytes())
            files = [files[0], str(copy)]
        elif case == "missing":
            files = [files[0], str(tmp_path / "absent.json")]
    before = committed_floor.read_bytes()
    argv = ["noise-floor", "--from", *files, "--asv-results", str(results)]
    assert main([*argv, "--out", str(committed_floor.parent), "--readme", "absent.md"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error, error
    assert committed_floor.read_bytes() == before
    assert sorted(p.name for p in committed_floor.parent.iterdir()) == [".lock", "noise_floor.csv"]


@pytest.mark.parametrize(
    ("ratio", "line"), [("fast", 2), ("inf", 2), ("0.5", 2), ("", None)]
)  # fmt: skip
def test_a_floor_with_a_bad_ratio_is_refused_naming_its_line(tmp_path, ratio, line):
    path = tmp_path / "floor.csv"
    rows = [f"{ROUTINE},x,time,{ratio}", f"{EPOCH},,time,"]
    path.write_text("benchmark,params,type,ratio\n" + "\n".join(rows) + "\n")
    expected = (
        f"line {line}: field ratio '{ratio}' is not a number of at least 1"
        if line
        else "holds no measured floor"
    )
    with pytest.raises(BenchError, match=expected):
        noise.read_noise_floor(path)


def test_a_bench_that_is_no_regular_expression_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["regressions", "HEAD~1", "HEAD", "--bench", "(unclosed"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert "argument --bench: '(unclosed' is not a regular expression" in error


def _break(data: dict, case: str) -> None:
    entry = data["results"][ROUTINE]
    if case == "results":
        data["results"] = [1, 2]
    elif case == "entry":
        data["results"][ROUTINE] = "fast"
    elif case == "value":
        entry[0] = ["1.0", 2.0, 3.0, 4.0]
    elif case == "bool":
        entry[0] = [True, 2.0, 3.0, 4.0]
    elif case == "length":
        entry[0] = [1.0, 2.0]
    elif case == "ragged":
        entry[1] = [["'loop'"], 10]
    elif case == "commit":
        data["commit_hash"] = None
    elif case == "date":
        data["date"] = "yesterday"
    elif case == "columns":
        data["result_columns"] = {"result": 0}


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("results", "field results"),
        ("entry", f"benchmark {ROUTINE}: not a list"),
        ("value", f"benchmark {ROUTINE}: field result holds something"),
        ("bool", f"benchmark {ROUTINE}: field result holds something"),
        ("length", f"benchmark {ROUTINE}: field result has 2 values for 4"),
        ("ragged", f"benchmark {ROUTINE}: field params is not a list of lists"),
        ("commit", "field commit_hash"),
        ("date", "field date"),
        ("columns", "field result_columns"),
    ],
)
def test_a_malformed_asv_result_file_is_one_line_naming_it(results, case, field):
    import json

    write_result(results, "a" * 40, 1_000_000, suite())
    path = results / "box" / f"{'a' * 8}-venv-py.json"
    data = json.loads(path.read_text())
    _break(data, case)
    path.write_text(json.dumps(data))
    for read in (lambda: read_result_file(path), lambda: read_asv_results(results)):
        with pytest.raises(BenchError) as raised:
            read()
        assert str(raised.value).startswith(str(path)) and field in str(raised.value)
        assert "\n" not in str(raised.value)
