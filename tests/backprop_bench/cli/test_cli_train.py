"""`backprop-bench train PRESET` and `backprop-bench train gradcheck` at the command line."""

from __future__ import annotations

import re

import numpy as np
import pytest

from backprop_bench.cli import main
from backprop_bench.cli.train_report import epoch_header, row_interval, shows_epoch
from backprop_bench.data.datasets import load
from backprop_bench.data.preprocessing import prepare
from nets.io import load as load_network
from nets.presets import PRESETS


def _run(capsys, *argv):
    status = main(["train", *argv])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def _final_accuracy(lines):
    match = re.fullmatch(r"test accuracy: (\d\.\d{4}) \((\d+)/(\d+) correct; .*\)", lines[-1])
    assert match, lines[-1]
    return float(match[1])


def test_blobs_prints_a_row_per_epoch_and_the_final_accuracy(capsys):
    status, lines, err = _run(capsys, "blobs")
    assert status == 0, err
    epochs = PRESETS["blobs"].training.epochs
    header = lines.index(epoch_header())
    rows = lines[header + 1 : -1]
    # At most about 20 rows: every k-th epoch and the last (article 000's 20 epochs: all of them).
    interval = row_interval(epochs)
    shown = [epoch for epoch in range(1, epochs + 1) if shows_epoch(epoch, epochs, interval)]
    assert [int(row.split()[0]) for row in rows] == shown
    assert 10 <= len(rows) <= 21
    first, last = rows[0].split(), rows[-1].split()
    assert len(first) == 6  # epoch, train rate, test rate, train cost, test cost, seconds
    assert 0 <= float(last[1]) <= 1 and 0 <= float(last[2]) <= 1
    assert _final_accuracy(lines) >= 0.9
    assert float(last[2]) == pytest.approx(_final_accuracy(lines), abs=5e-5)
    assert "blobs" in lines[0] and "seed" in lines[0]


def test_options_change_the_run(capsys):
    argv = ["blobs", "--epochs", "3", "--n-train", "300", "--n-test", "90"]
    status, lines, err = _run(capsys, *argv)
    assert status == 0, err
    assert "300 train / 90 test" in lines[1]
    assert [int(line.split()[0]) for line in lines[3:-1]] == [1, 2, 3]
    assert re.search(r"\(\d+/90 correct; 3 epochs", lines[-1])


def test_same_seed_same_table_other_seed_other_table(capsys):
    def table(seed):
        status, lines, _ = _run(capsys, "xor", "--seed", str(seed), "--epochs", "20")
        assert status == 0
        rows = lines[lines.index(epoch_header()) + 1 : -1]
        assert len(rows) == 20
        return [row.split()[:5] for row in rows]  # all but the seconds column

    assert table(1) == table(1)
    assert table(1) != table(2)


def test_save_writes_a_network_that_loads_and_predicts_the_same(capsys, tmp_path):
    path = tmp_path / "blobs-net"
    status, lines, err = _run(capsys, "blobs", "--save", str(path))
    assert status == 0, err
    assert lines[-1] == f"saved the network to {path}.npz and {path}.json"
    assert lines[-2].startswith("test accuracy: ")
    network = load_network(path)
    data = prepare(load("blobs"))
    predicted = network.predict(data.X_test)
    correct = re.search(r"\((\d+)/(\d+) correct", lines[-2])
    assert (int(correct[1]), int(correct[2])) == (np.sum(predicted == data.y_test), data.n_test)


def test_gradcheck_prints_small_relative_errors(capsys):
    status, lines, err = _run(capsys, "gradcheck")
    assert status == 0, err
    assert "central differences" in lines[0]
    errors = [float(line.split()[-1]) for line in lines[2:-1]]
    n_rows = sum(2 * (len(preset.network["sizes"]) - 1) for preset in PRESETS.values())
    assert len(errors) == n_rows
    assert max(errors) < 1e-6
    assert lines[-1].endswith("(ok)")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["mnist-sead"], "unknown preset 'mnist-sead': choose one of"),
        (["blobs", "--epochs", "0"], "--epochs must be an integer >= 1; got 0"),
        (["blobs", "--seed", "-1"], "--seed must be an integer >= 0; got -1"),
        (["blobs", "--n-train", "5000"], "n_train=5000 is not allowed"),
        (["gradcheck", "--epochs", "3"], "--epochs: not used by `train gradcheck`"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_1(capsys, argv, message):
    status, lines, err = _run(capsys, *argv)
    assert status == 1
    assert lines == []
    assert err.count("\n") == 1 and message in err
    if argv[0] == "mnist-sead":
        assert all(name in err for name in [*PRESETS, "gradcheck"])


@pytest.mark.parametrize(
    ("preset", "n_train"),
    [("xor", 3), ("blobs", 1199), pytest.param("mnist-000", 59999, marks=pytest.mark.slow)],
)
def test_every_subset_size_just_under_the_full_size_trains(capsys, preset, n_train):
    status, lines, err = _run(capsys, preset, "--n-train", str(n_train), "--epochs", "1")
    assert status == 0, err
    assert f"{n_train:,} train" in lines[1]
    _final_accuracy(lines)


def test_a_subset_smaller_than_the_class_count_is_refused_up_front(capsys):
    status, lines, err = _run(capsys, "blobs", "--n-train", "2")
    assert status == 1 and lines == []
    assert err.strip() == (
        "backprop-bench train: error: subset size 2 is smaller than the 3 classes it must hold"
    )


def test_save_into_an_unusable_folder_is_refused_before_training(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    status, lines, err = _run(capsys, "xor", "--save", str(blocker / "net"))
    assert status == 1 and lines == []  # nothing trained
    assert err.strip() == (
        f"backprop-bench train: error: --save {blocker}: it is a file, not a folder"
    )
