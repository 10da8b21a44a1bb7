"""`backprop-bench compare` and `backprop-bench reproduce`: fits over seeds, tables, plots."""

from __future__ import annotations

import argparse

from backprop_bench.cli.fits import execute, finish, report_run
from backprop_bench.cli.options import add_allow_large, add_cluster, add_pairs, add_readme

REPRODUCE_MODELS = ("mnist-000", "svc-000", "svc", "mlp", "linear")


def _seeds(text: str) -> list[int]:
    """``"3"`` -> [3]; ``"0-4"`` -> [0, 1, 2, 3, 4] (argparse type for --seeds): at most
    ``planning.MAX_SEEDS`` of them, each below ``planning.SEED_LIMIT``, counted before any list
    is built."""
    from backprop_bench.experiments.planning import MAX_SEEDS, SEED_LIMIT

    try:
        if "-" in text.strip("-"):
            first, last = (int(part) for part in text.split("-", 1))
        else:
            first = last = int(text)
        if last < first or first < 0:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a seed or a range of seeds (e.g. 3 or 0-4)"
        ) from None
    if last >= SEED_LIMIT:
        raise argparse.ArgumentTypeError(
            f"{text!r}: seed {last} is too large: seeds run from 0 to {SEED_LIMIT - 1}"
        )
    if last - first + 1 > MAX_SEEDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is {last - first + 1:,} seeds: give at most {MAX_SEEDS:,}"
        )
    return list(range(first, last + 1))


SVM_ENGINES = ("libsvm", "onedal", "both")


def with_svm_engine(models: list[str], engine: str) -> list[str]:
    """The model list with its SVCs fitted by ``engine``: libsvm (as listed), oneDAL (each
    SVC replaced by its oneDAL twin) or both (each followed by its twin). Asking for oneDAL
    without scikit-learn-intelex is a BenchError naming the extra, before any work."""
    from backprop_bench.errors import BenchError
    from baselines import ONEDAL_TWINS
    from baselines.svm import onedal_available

    if engine == "libsvm":
        return models
    if not onedal_available():
        raise BenchError(
            f"--svm-engine {engine} needs scikit-learn-intelex (oneDAL): "
            'pip install "backprop-bench[onedal]"'
        )
    chosen = []
    for name in models:
        twin = ONEDAL_TWINS.get(name)
        chosen += [name] if twin is None else [twin] if engine == "onedal" else [name, twin]
    return chosen


def _add_run_options(parser: argparse.ArgumentParser, out_help: str) -> None:
    parser.add_argument(
        "--svm-engine",
        choices=SVM_ENGINES,
        default="libsvm",
        help="what fits the SVCs: libsvm (scikit-learn's SVC, article 000's engine; the "
        "default), onedal (scikit-learn-intelex, the [onedal] extra) or both, side by side",
    )
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        help="the shared preprocessing's float type, and what every model that can computes "
        "in (the network, torch-mlp, jax-mlp; the MLP and logistic regression take it as "
        "given; libsvm's SVC converts to float64): each row says which. Default: the preset's, "
        "float64; float32 writes to a folder ending in -float32",
    )
    parser.add_argument(
        "--jobs", type=int, help="fits run in parallel processes (default: one per core)"
    )
    parser.add_argument("--out", metavar="DIR", help=out_help)
    parser.add_argument("--data-dir", metavar="DIR", help="folder holding the dataset's IDX files")
    add_readme(parser, "results block")
    add_pairs(parser)
    add_cluster(parser)
    add_allow_large(parser)


def add(subparsers: argparse._SubParsersAction) -> None:
    """Declare `compare` and `reproduce`."""
    add_compare(subparsers)
    add_reproduce(subparsers)


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
        help="comma-separated model names: network presets (mnist-000), baselines "
        "(svc-000, svc, svc-000-onedal, svc-onedal, mlp, linear, torch-mlp, jax-mlp), and "
        "models of your own as package.module:Name or an installed entry-point name; "
        "default %(default)s",
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
        out = f"results/{args.dataset}{size}{_dtype_suffix(args.dtype)}"
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
        out=args.out or f"results/mnist{_dtype_suffix(args.dtype)}",
    )


def _dtype_suffix(dtype: str | None) -> str:
    """The default results folder's suffix: float32 runs never overwrite float64 results."""
    return "-float32" if dtype == "float32" else ""


def _run_comparison(args: argparse.Namespace, **settings) -> int:
    """Run ``api.compare`` as the command line does (progress, SIGTERM, a Dask client where
    asked for), print the table and the account, refresh the README's block."""
    from pathlib import Path

    from backprop_bench import api

    out = Path(settings.pop("out"))
    settings["models"] = with_svm_engine(settings["models"], args.svm_engine)
    with api.results_folder(out) as folder:  # one run at a time writes it

        def run(options) -> object:  # the runner opens (locks) the folder once the plan holds
            return api.compare(
                **settings,
                dtype=args.dtype,
                data_dir=args.data_dir,
                pairs=args.pairs,
                out=folder,
                options=options,
            )

        outcome = execute(args, run, folder)
        print((out / "comparison.md").read_text(encoding="utf-8"))
        report_run(outcome.comparison, outcome.paths, out)
        for line in outcome.reproduction:
            print(line)
        return finish(args, outcome.comparison, out, "comparison")
