"""Sizes beyond reason are refused at planning, with one line, before any folder or fit: seeds,
jobs, the number of fits and their expected time; --allow-large confirms a large plan."""

from __future__ import annotations

import pytest

from backprop_bench import cli
from backprop_bench.experiments import environment, planning

DIGITS = ["compare", "--dataset", "digits", "--models", "linear", "--n-train", "100"]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("seeds", "message"),
    [
        ("0-999999999999", "seed 999999999999 is too large: seeds run from 0 to 4294967295"),
        ("0-99999", "'0-99999' is 100,000 seeds: give at most 10,000"),
        ("4294967296", "seed 4294967296 is too large: seeds run from 0 to 4294967295"),
        ("5-2", "'5-2' is not a seed or a range of seeds"),
    ],
)
def test_seeds_are_bounded_as_they_are_parsed(workdir, capsys, seeds, message):
    with pytest.raises(SystemExit) as stopped:
        cli.main([*DIGITS, "--seeds", seeds])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err.splitlines()[-1]
    assert not (workdir / "results").exists()


def run(argv, capsys) -> tuple[int, str]:
    status = cli.main(argv)
    return status, capsys.readouterr().err


def test_more_jobs_than_cores_need_the_confirming_flag(workdir, capsys):
    cores = environment.usable_cores()
    status, error = run([*DIGITS, "--jobs", "1000", "--out", "out"], capsys)
    assert status == 1 and error.count("\n") == 1
    assert f"jobs=1000: more than the {cores} cores this process may use" in error
    assert "--allow-large" in error and not (workdir / "out").exists()


def test_a_plan_of_too_many_fits_needs_the_confirming_flag(workdir, capsys):
    argv = [*DIGITS, "--models", "mnist-000,mlp", "--seeds", "0-5999", "--out", "out"]
    status, error = run(argv, capsys)
    assert status == 1 and error.count("\n") == 1
    assert "the plan holds 12,000 fits, more than 10,000" in error and "--allow-large" in error
    assert not (workdir / "out").exists()


def test_a_plan_beyond_a_day_needs_the_confirming_flag(workdir, tmp_path, capsys):
    sweep = tmp_path / "long.toml"
    sweep.write_text(
        'datasets = ["digits"]\nmodels = ["mnist-000"]\n[grid.mnist-000]\nepochs = [1000000000]\n'
    )
    status, error = run(["sweep", str(sweep), "--out", "out"], capsys)
    assert status == 1 and error.count("\n") == 1
    assert "the plan's 1 fits would take about" in error and "more than a day" in error
    assert not (workdir / "out").exists()


def test_a_grid_beyond_any_plan_is_refused_before_it_is_built(workdir, tmp_path, capsys):
    values = ", ".join(str(1 + i) for i in range(1000))
    sweep = tmp_path / "huge.toml"
    sweep.write_text(
        f'datasets = ["digits"]\nmodels = ["svc"]\n[grid.svc]\nC = [{values}]\n'
        f"tol = [{values}, 1001]\n"
    )
    for extra in ([], ["--allow-large"]):
        status, error = run(["sweep", str(sweep), "--out", "out", *extra], capsys)
        assert status == 1 and error.count("\n") == 1
        assert "the sweep holds 1,001,000 fits" in error
    sweep.write_text(sweep.read_text().replace(f"tol = [{values}, 1001]", f"tol = [{values}]"))
    error = run(["sweep", str(sweep), "--out", "out"], capsys)[1]
    assert "the sweep holds 1,000,000 fits, more than 10,000: check its grid" in error
    assert not (workdir / "out").exists()


def test_check_fit_count_draws_the_lines_where_it_says():
    planning.check_fit_count(planning.LARGE_FITS)
    planning.check_fit_count(planning.LARGE_FITS + 1, allow_large=True)
    with pytest.raises(Exception, match="pass --allow-large"):
        planning.check_fit_count(planning.LARGE_FITS + 1)
    with pytest.raises(Exception, match="cannot be planned"):
        planning.check_fit_count(planning.MAX_FITS + 1, allow_large=True)


def test_the_plan_names_the_results_folder_before_any_fit(workdir, capsys):
    assert cli.main([*DIGITS, "--n-test", "100", "--out", "mine"]) == 0
    error = capsys.readouterr().err
    assert "1 fits to run, 0 taken from the cache; results go to mine/" in error
    assert error.index("results go to mine/") < error.index("fit 1/1 done")
