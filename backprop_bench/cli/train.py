"""`backprop-bench train PRESET` and `backprop-bench train gradcheck`."""

from __future__ import annotations

import argparse
import sys

from backprop_bench.cli.options import check_count
from backprop_bench.errors import BenchError


def add(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train the network with a preset, a source article's settings (or check its gradient)",
        description="Train a preset (mnist-000, blobs, xor) and print article 000's per-epoch "
        "table, or run `train gradcheck` to compare backprop with central differences.",
    )
    parser.add_argument("preset", metavar="PRESET", help="mnist-000, blobs, xor or gradcheck")
    parser.add_argument(
        "--seed", type=int, help="seed of the initial weights and shuffles (default: the preset's)"
    )
    parser.add_argument("--epochs", type=int, help="number of epochs (default: the preset's)")
    parser.add_argument("--n-train", type=int, help="stratified training subset (default: all)")
    parser.add_argument("--n-test", type=int, help="stratified test subset (default: all)")
    parser.add_argument("--save", metavar="PATH", help="write the network to PATH.npz/.json")
    parser.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    from nets.presets import PRESETS

    check_count("--seed", args.seed, 0)
    for option in ("epochs", "n_train", "n_test"):
        check_count("--" + option.replace("_", "-"), getattr(args, option), 1)
    if args.preset == "gradcheck":
        return _run_gradcheck(args)
    if args.save:
        from pathlib import Path

        from backprop_bench.files import check_output_folder

        check_output_folder(Path(args.save).parent, "--save")
    if args.preset not in PRESETS:
        names = ", ".join([*sorted(PRESETS), "gradcheck"])
        raise BenchError(f"unknown preset {args.preset!r}: choose one of {names}")
    return _run_preset(args, PRESETS[args.preset])


def _run_preset(args: argparse.Namespace, preset) -> int:
    import time

    from tqdm import tqdm

    from backprop_bench.cli.train_report import epoch_header, epoch_row, row_interval, shows_epoch
    from backprop_bench.data.datasets import load
    from backprop_bench.data.preprocessing import prepare
    from backprop_bench.experiments.estimator import NetworkClassifier

    model = NetworkClassifier.from_preset(preset.name, random_state=args.seed)
    if args.epochs is not None:
        model.set_params(epochs=args.epochs)
    tty = sys.stderr.isatty()
    data = prepare(
        load(preset.dataset, progress=tty),
        n_train=args.n_train,
        n_test=args.n_test,
        dtype=model.dtype,
    )
    print(
        f"{preset.name}: {preset.network['sizes']}, hidden {model.hidden_activation}, output "
        f"{model.output_activation}, {model.cost} cost, {model.initialiser} init; "
        f"{model.epochs} epochs, batch {model.batch_size}, learning rate {model.learning_rate:g} "
        f"({model.reduction} over the batch), seed {model.random_state}"
    )
    print(
        f"data: {data.dataset}, {data.n_train:,} train / {data.n_test:,} test, {data.preprocessing}"
    )
    interval = row_interval(model.epochs)
    if interval > 1:
        print(f"(one row every {interval} epochs, and the last)")
    print(epoch_header())
    with tqdm(total=model.epochs, unit="epoch", disable=not tty, leave=False) as bar:

        def on_epoch(record: dict) -> None:
            bar.update(1)
            if shows_epoch(record["epoch"], model.epochs, interval):
                tqdm.write(epoch_row(record), file=sys.stdout)

        start = time.perf_counter()
        model.fit(
            data.X_train,
            data.y_train,
            validation_data=(data.X_test, data.y_test),
            on_epoch=on_epoch,
        )
        seconds = time.perf_counter() - start
    correct = int((model.predict(data.X_test) == data.y_test).sum())
    print(
        f"test accuracy: {correct / data.n_test:.4f} ({correct}/{data.n_test} correct; "
        f"{model.epochs} epochs in {seconds:.1f} s)"
    )
    if args.save:
        from nets.io import save

        npz, json = save(model.network_, args.save)
        print(f"saved the network to {npz} and {json}")
    return 0


def _run_gradcheck(args: argparse.Namespace) -> int:
    from backprop_bench.cli.train_report import GRADCHECK_TOLERANCE, gradcheck_lines, gradcheck_rows

    given = [name for name in ("epochs", "n_train", "n_test", "save") if getattr(args, name)]
    if given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        raise BenchError(f"{options}: not used by `train gradcheck` (only --seed is)")
    rows = gradcheck_rows(seed=0 if args.seed is None else args.seed)
    for line in gradcheck_lines(rows):
        print(line)
    worst = max(row.relative_error for row in rows)
    ok = worst < GRADCHECK_TOLERANCE
    print(f"largest relative error: {worst:.2e} ({'ok' if ok else 'TOO LARGE'})")
    return 0 if ok else 1
