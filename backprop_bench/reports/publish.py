"""A results folder: the fit records, the environment, and the tables and plots made from them.

``write_results`` stores ``runs.jsonl`` (one record per fit: everything the tables use) and
``environment.json`` (this run and the sessions that made the fits: machine, libraries, commit,
wall time), then ``render`` builds every table and plot from those two files alone -- which is
what ``backprop-bench report`` does for a committed folder, without data or fitting.

Files: comparison.csv / comparison.md (one row per model), runs.csv (one row per fit),
learning_curves.csv (per epoch), learning_curves.png, accuracy_vs_fit_time.png,
confusion_matrices.png, summary.md (the paragraph, table and plot the README shows).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypedDict

import numpy as np

from backprop_bench import schema
from backprop_bench.errors import BenchError
from backprop_bench.experiments.labels import SYMBOLS, decode_labels
from backprop_bench.experiments.records import (
    Comparison,
    FitRecord,
    Session,
    check_model_name,
)
from backprop_bench.files import atomic_write_text, read_jsonl, to_json, write_jsonl
from backprop_bench.reports import plots, tables, verdicts
from backprop_bench.reports.requirements import write_requirements

RUNS = "runs.jsonl"
ENVIRONMENT = "environment.json"
TEST_LABELS = "test_labels.txt"  # the true class of every test image, one character each
MAIN_PLOT = "learning_curves.png"

Reported = Mapping[tuple[str, str], float]
"""Figures a source article reported, by (dataset, model): context for a comparison, never its
results (the command line reads them from the anchors, ``experiments.anchors.reported_by``)."""


def write_results(
    out_dir: Path,
    comparison: Comparison,
    pairs: Sequence[tuple[str, str]] = (),
    reported: Reported | None = None,
) -> list[Path]:
    """Write a comparison's records and environment into ``out_dir``, then render its tables
    and plots; ``pairs`` of model names get verdicts beside the network's, and ``reported``
    figures are quoted beside a comparison on the full training set."""
    return write_records(out_dir, comparison, pairs) + render(out_dir, reported)


def write_records(
    out_dir: Path, comparison: Comparison, pairs: Sequence[tuple[str, str]] = ()
) -> list[Path]:
    """``runs.jsonl``, ``environment.json`` (with ``pairs``) and the test labels of a run,
    into ``out_dir``; a pair naming a model the run has no fits of is a ``BenchError``."""
    check_pairs(out_dir, comparison.records, pairs)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        write_jsonl(out_dir / RUNS, [record.to_dict() for record in comparison.records]),
        write_environment(
            out_dir, this_run=comparison.this_run, sessions=comparison.sessions, pairs=pairs
        ),
    ]
    if comparison.test_labels is not None:
        paths.append(atomic_write_text(out_dir / TEST_LABELS, comparison.test_labels + "\n"))
    return paths


def split_pairs(items: Sequence[str], models: Sequence[str], where: str) -> list[tuple[str, str]]:
    """Each ``FIRST:SECOND`` of ``items`` as a pair of two of ``models``, split at the colon
    that leaves a model on either side (a model named by import path, ``package.module:Name``,
    holds a colon of its own); else a ``BenchError`` naming ``where``'s models."""
    pairs = []
    for item in items:
        splits = {
            (item[:at], item[at + 1 :])
            for at, character in enumerate(item)
            if character == ":" and item[:at] in models and item[at + 1 :] in models
        }
        found = [pair for pair in splits if pair[0] != pair[1]]
        if len(found) == 1:
            pairs.append(found[0])
            continue
        if splits:
            problem = "names the same model twice"
        elif item.count(":") == 1:
            problem = (
                f"{where} has no model {next(n for n in item.split(':') if n not in models)!r}"
            )
        else:
            problem = f"does not name two models of {where}"
        raise BenchError(f"--pairs {item}: {problem} (it has {', '.join(models)})")
    return pairs


def check_pairs(
    out_dir: Path, records: Sequence[FitRecord], pairs: Sequence[tuple[str, str]]
) -> None:
    """A ``BenchError`` for a pair naming a model that ``records`` have no fits of."""
    models = list(dict.fromkeys(record.model for record in records))
    for first, second in pairs:
        for name in (first, second):
            if name not in models:
                raise BenchError(
                    f"--pairs {first}:{second}: {out_dir} has no model {name!r} "
                    f"(it has {', '.join(models)})"
                )


def folder_verdicts(out_dir: Path, records: Sequence[FitRecord]) -> list[verdicts.PairVerdict]:
    """The network against every other model of a results folder, then the pairs a user named
    for it (``name_pairs``); none without test labels."""
    labels = read_test_labels(out_dir, records[0].n_test)
    if labels is None:
        return []
    pairs = list(dict.fromkeys([*verdicts.network_pairs(records), *read_pairs(out_dir)]))
    return verdicts.verdicts(records, labels, pairs)


class ResultsEnvironment(TypedDict, total=False):
    """A results folder's environment.json: this run, the sessions behind its fits, and the
    pairs of models a user named for it."""

    this_run: dict[str, Any]
    sessions: list[Session]
    pairs: list[tuple[str, str]]


def read_environment(out_dir: Path) -> ResultsEnvironment:
    """Results folder ``out_dir``'s environment.json, checked (``{}`` if it has none); a
    ``BenchError`` names the file and the field at fault."""
    path = out_dir / ENVIRONMENT
    if not path.is_file():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BenchError(f"{path}: not readable JSON ({error})") from None
    schema.check(document, ResultsEnvironment, str(path))
    for pair in document.get("pairs", []):
        for name in pair:
            check_model_name(name, f"{path}: field pairs:")
    return document


def read_pairs(out_dir: Path) -> list[tuple[str, str]]:
    """The pairs of models a user named for results folder ``out_dir``."""
    return [tuple(pair) for pair in read_environment(out_dir).get("pairs", [])]


def name_pairs(out_dir: Path, items: Sequence[str], folder: Path | None = None) -> None:
    """Keep the pairs of model names ``items`` (``FIRST:SECOND``) in ``out_dir``'s
    environment.json, so that every later rendering compares them too; a name the folder has
    no fits of is a ``BenchError`` naming ``folder`` (default ``out_dir``: the results folder
    whose staging copy this is)."""
    records, _ = read_results(out_dir)
    models = list(dict.fromkeys(record.model for record in records))
    pairs = split_pairs(items, models, folder or out_dir)
    document = dict(read_environment(out_dir))
    known = [tuple(pair) for pair in document.get("pairs", [])]
    document["pairs"] = [list(pair) for pair in dict.fromkeys([*known, *map(tuple, pairs)])]
    atomic_write_text(out_dir / ENVIRONMENT, to_json(document))


def read_test_labels(out_dir: Path, n_test: int | None = None) -> np.ndarray | None:
    """The true class of every test image of results folder ``out_dir``, if it has them; a
    ``BenchError`` if they are not class symbols, or not ``n_test`` of them."""
    path = out_dir / TEST_LABELS
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8").strip()
    if set(text) - set(SYMBOLS):
        raise BenchError(f"{path}: holds characters that are not class labels")
    if n_test is not None and len(text) != n_test:
        raise BenchError(f"{path}: {len(text)} labels, but the fits were tested on {n_test}")
    return decode_labels(text)


def write_environment(
    out_dir: Path,
    *,
    this_run: Mapping[str, Any],
    sessions: Sequence[Mapping[str, Any]],
    pairs: Sequence[tuple[str, str]] = (),
) -> Path:
    """``environment.json``: this run (date, command, wall time, fits run and cached), the
    sessions that made the fits (machine, BLAS, libraries, commit, their own wall time) and
    the pairs of models the user named for the folder."""
    document: dict[str, Any] = {"this_run": dict(this_run), "sessions": list(sessions)}
    if pairs:
        document["pairs"] = [list(pair) for pair in dict.fromkeys(map(tuple, pairs))]
    return atomic_write_text(out_dir / ENVIRONMENT, to_json(document))


def render(out_dir: Path, reported: Reported | None = None) -> list[Path]:
    """Build every table and plot of ``out_dir`` from its ``runs.jsonl`` and environment
    (``reported``: see ``write_results``)."""
    records, sessions = read_results(out_dir)
    dataset = records[0].dataset
    table = tables.comparison(records)
    header = tables.header(records, sessions)
    written = [
        write_csv(table, out_dir / "comparison.csv"),
        atomic_write_text(out_dir / "comparison.md", tables.to_markdown(table, header)),
        write_csv(tables.runs(records), out_dir / "runs.csv"),
        write_csv(tables.learning_curves(records), out_dir / "learning_curves.csv"),
    ]
    size = f"{records[0].n_train:,} / {records[0].n_test:,}"
    plots.learning_curves(
        records, out_dir / MAIN_PLOT, title=f"{dataset} ({size}): test accuracy per epoch"
    )
    plots.accuracy_vs_fit_time(
        records,
        out_dir / "accuracy_vs_fit_time.png",
        title=f"{dataset} ({size}): accuracy and fit time",
    )
    written += [out_dir / MAIN_PLOT, out_dir / "accuracy_vs_fit_time.png"]
    written += write_requirements(out_dir, sessions, records)
    if plots.confusion_matrices(
        records, network_model(records), out_dir / "confusion_matrices.png"
    ):
        written.append(out_dir / "confusion_matrices.png")
    found = folder_verdicts(out_dir, records)
    if (out_dir / TEST_LABELS).is_file():
        written += [
            write_csv(verdicts.verdicts_table(found), out_dir / "verdicts.csv"),
            atomic_write_text(out_dir / "verdicts.md", verdicts.verdicts_markdown(found)),
        ]
    summary = comparison_summary(
        records,
        sessions,
        image=MAIN_PLOT,
        table_path="comparison.md",
        found=found,
        reported=reported or {},
    )
    written.append(atomic_write_text(out_dir / "summary.md", summary))
    return written


def read_records(path: Path) -> list[FitRecord]:
    """The fit records of JSON Lines file ``path``, each checked (``FitRecord.from_dict``); a
    ``BenchError`` names the line and the field at fault."""
    return [FitRecord.from_dict(row, where) for where, row in read_jsonl(path)]


def read_results(
    out_dir: Path, one_test_set: bool = True
) -> tuple[list[FitRecord], list[dict[str, Any]]]:
    """The records and sessions stored in results folder ``out_dir``, each record checked
    (``FitRecord.from_dict``), and the set of them: no fit twice, and with ``one_test_set``
    (a comparison, not a sweep) one dataset, training and test set. A ``BenchError`` names
    the file, the line and the field at fault."""
    path = out_dir / RUNS
    if not path.is_file():
        raise BenchError(f"{out_dir} holds no {RUNS}: run `backprop-bench compare` first")
    records = read_records(path)
    if not records:
        raise BenchError(f"{path} holds no fit records")
    seen: dict[tuple, int] = {}
    for number, record in enumerate(records, 1):
        fit = (record.model, record.seed, record.dataset, record.n_train, record.n_test)
        if fit in seen:
            raise BenchError(
                f"{path} line {number}: model {record.model} seed {record.seed} is already "
                f"recorded on line {seen[fit]}"
            )
        seen[fit] = number
        data, first = _training_and_test_set(record), _training_and_test_set(records[0])
        if one_test_set and data != first:
            raise BenchError(
                f"{path} line {number}: dataset {data[0]} with n_train {data[1]}, n_test "
                f"{data[2]}, where line 1 has {first[0]} with {first[1]}, {first[2]}: a "
                "comparison is of one training and test set"
            )
    return records, list(read_environment(out_dir).get("sessions", []))


def _training_and_test_set(record: FitRecord) -> tuple:
    return (record.dataset, record.n_train, record.n_test, record.subset_seed, record.train_subset)


def write_csv(frame, path: Path) -> Path:
    """``frame`` as CSV at ``path``, atomically, numbers to six significant figures."""
    return atomic_write_text(path, frame.to_csv(index=False, float_format="%.6g"))


def network_model(records: Sequence[FitRecord]) -> str | None:
    """The name of the (first) network model among ``records``."""
    return next((r.model for r in records if r.kind == "network"), None)


def comparison_summary(
    records: Sequence[FitRecord],
    sessions: Sequence[Mapping[str, Any]],
    *,
    image: str,
    table_path: str,
    found: Sequence[verdicts.PairVerdict] = (),
    reported: Reported = MappingProxyType({}),
) -> str:
    """The headline paragraph, table and main plot (the README's block, links relative to the
    results folder); ``reported`` figures are quoted beside a comparison on the full training
    set."""
    table = tables.comparison(records)
    done = table[table["status"] == "ok"]
    dataset = records[0].dataset
    sentences = []
    network = network_model(records)
    if network is not None and network in set(done["model"]):
        row = done.set_index("model").loc[network]
        seeds = {r.seed: r.test_accuracy for r in records if r.model == network and r.ok}
        low, high = min(seeds, key=seeds.get), max(seeds, key=seeds.get)
        spread = 100 * (seeds[high] - seeds[low])
        verdict = "its seed matters" if spread >= 0.5 else "its seed barely matters"
        sentences.append(
            f"The from-scratch network (`{network}`) reaches a mean test accuracy of "
            f"{row['test_accuracy_mean']:.4f} over {len(seeds)} seeds, and {verdict}: "
            f"from {seeds[low]:.4f} (seed {low}) to {seeds[high]:.4f} (seed {high}), "
            f"{spread:.1f} points apart."
            if len(seeds) > 1
            else f"The from-scratch network (`{network}`) reaches a test accuracy of "
            f"{seeds[low]:.4f} with seed {low} (one seed only: how much it depends on the seed "
            "is not measured here)."
        )
    if not done.empty:
        best = done.loc[done["test_accuracy_mean"].idxmax()]
        sentences.append(
            f"The most accurate model is `{best['model']}` ({best['test_accuracy_mean']:.4f}); "
            f"its median fit takes {best['fit_seconds_median']:.3g} s."
        )
    reported = [
        f"`{model}` {figure}"
        for (name, model), figure in reported.items()
        if name == dataset and model in set(done["model"])
    ]
    if reported and records[0].n_train == 60000:
        sentences.append(f"For reference, article 000 reported {' and '.join(reported)}.")
    failed = table[table["status"] != "ok"]
    for _, row in failed.iterrows():
        sentences.append(f"`{row['model']}` {row['status']}: {row['note']}.")
    header = tables.header(records, sessions)
    markdown = tables.to_markdown(table, header)
    paired = "".join(f"- {verdict.sentence()}\n" for verdict in found)
    if paired:
        folder = table_path.rpartition("/")[0]
        where = f"{folder}/verdicts.md" if folder else "verdicts.md"
        paired = (
            f"\nIs each difference real? Paired on the same test images ([{where}]({where})):\n\n"
            + paired
        )
    return (
        " ".join(sentences)
        + f"\n{paired}\n{markdown}\n![{dataset}: test accuracy per epoch]({image})\n\n"
        + f"Full tables: [{table_path}]({table_path}).\n"
    )
