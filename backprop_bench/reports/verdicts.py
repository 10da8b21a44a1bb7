"""Verdicts: is a difference between two models real, and did a fresh run reproduce a committed one?

Every fit keeps its prediction for every image of the shared test set, so two fits can be
compared image by image. On the images where exactly one of the two is right (``b``: only the
first, ``c``: only the second), **McNemar's exact test** asks whether ``b`` and ``c`` could come
from a fair coin: ``scipy.stats.binomtest(b, b + c, 0.5)``, two-sided. The images both get right
or both get wrong say nothing about which is better, and the test needs no assumption about
them.

Over seeds, the **mean accuracy difference** gets a 95% interval:

- with several seeds on at least one side, a t-interval over the per-seed differences (a
  deterministic model's single fit is paired with every seed of the other). The seeds are
  independent repetitions of the whole training on the same fixed test set, so their spread is
  the variation a reader re-running the suite would see; with 5 seeds the t distribution
  (4 degrees of freedom) widens the interval honestly for so few;
- with one fit on each side, no spread over seeds exists: the interval is then the Wald
  interval of a difference of paired proportions over the test images, (b − c)/n ± 1.96 ·
  √(b + c − (b − c)²/n) / n, which measures only the test set's sampling.

A difference is **significant** when its 95% interval excludes zero; the sentence also says in
how many seeds McNemar's test gives p < 0.01.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from backprop_bench.experiments.environment import blas_line
from backprop_bench.experiments.intervals import CONFIDENCE, t_interval
from backprop_bench.experiments.records import FitRecord

MCNEMAR_LEVEL = 0.01  # the p-value the sentences count seeds by


@dataclass(frozen=True)
class McNemar:
    """The disagreement of two fits on the same images, and McNemar's exact p-value."""

    only_first: int  # b: images only the first gets right
    only_second: int  # c: images only the second gets right
    p_value: float


def mcnemar(first_correct: np.ndarray, second_correct: np.ndarray) -> McNemar:
    """McNemar's exact test on two boolean arrays, one entry per test image."""
    first_correct, second_correct = np.asarray(first_correct), np.asarray(second_correct)
    b = int(np.sum(first_correct & ~second_correct))
    c = int(np.sum(~first_correct & second_correct))
    p = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5).pvalue)
    return McNemar(b, c, p)


def paired_proportion_interval(
    test: McNemar, n: int, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """The Wald interval of the accuracy difference of two fits on the same ``n`` images."""
    b, c = test.only_first, test.only_second
    z = stats.norm.ppf(0.5 + confidence / 2)
    half = z * math.sqrt(max(b + c - (b - c) ** 2 / n, 0.0)) / n
    return (b - c) / n - half, (b - c) / n + half


def wilson_interval(correct: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of an accuracy of ``correct`` out of ``n`` test images
    (scipy's, without continuity correction)."""
    interval = stats.binomtest(int(correct), int(n)).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


@dataclass(frozen=True)
class PairVerdict:
    """``first`` against ``second``: the mean difference (first − second) and its interval."""

    first: str
    second: str
    seeds: tuple[int | None, ...]  # the first's seed of each pair
    difference: float  # mean accuracy difference, first − second
    low: float
    high: float
    method: str  # "t over seeds" or "paired proportions"
    tests: tuple[McNemar, ...]

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0

    @property
    def significant_seeds(self) -> int:
        return sum(test.p_value < MCNEMAR_LEVEL for test in self.tests)

    def sentence(self) -> str:
        """One sentence for the README: the difference, its interval, McNemar, the verdict."""
        if not self.significant:
            verdict = "no significant difference"
        elif self.difference > 0:
            verdict = f"`{self.first}` is more accurate"
        else:
            verdict = f"`{self.second}` is more accurate"
        return (
            f"`{self.first}` vs `{self.second}`: {100 * self.difference:+.2f} points (95% CI "
            f"{100 * self.low:+.2f} to {100 * self.high:+.2f}, {self.method}), McNemar "
            f"p < {MCNEMAR_LEVEL:g} in {self.significant_seeds} of {len(self.tests)} "
            f"paired fit(s): {verdict}."
        )


def correct(record: FitRecord, test_labels: np.ndarray) -> np.ndarray:
    """Whether ``record``'s fit got each test image right."""
    return record.predictions() == test_labels


def pair(
    records: Sequence[FitRecord], first: str, second: str, test_labels: np.ndarray
) -> PairVerdict | None:
    """The verdict on ``first`` against ``second`` (model names); None when either has no
    finished fit with predictions."""
    fits = {
        name: {r.seed: r for r in records if r.model == name and r.ok and r.test_predictions}
        for name in (first, second)
    }
    if not fits[first] or not fits[second]:
        return None
    if None in fits[first] or None in fits[second]:  # a deterministic side: one fit for all
        pairs = [(a, b) for a in fits[first].values() for b in fits[second].values()]
    else:
        pairs = [(fits[first][s], fits[second][s]) for s in fits[first] if s in fits[second]]
    if not pairs:
        return None
    tests = [mcnemar(correct(a, test_labels), correct(b, test_labels)) for a, b in pairs]
    differences = [a.test_accuracy - b.test_accuracy for a, b in pairs]
    if len(pairs) > 1:
        low, high = t_interval(differences)
        method = f"t over {len(pairs)} seeds"
    else:
        low, high = paired_proportion_interval(tests[0], len(test_labels))
        method = "paired proportions over the test images"
    seeds = tuple(a.seed if a.seed is not None else b.seed for a, b in pairs)
    return PairVerdict(
        first, second, seeds, float(np.mean(differences)), low, high, method, tuple(tests)
    )


def network_pairs(records: Sequence[FitRecord]) -> list[tuple[str, str]]:
    """The network against every other model of ``records``, in their order."""
    models = list(dict.fromkeys(r.model for r in records))
    networks = [m for m in models if any(r.model == m and r.kind == "network" for r in records)]
    if not networks:
        return []
    return [(networks[0], other) for other in models if other != networks[0]]


def verdicts(
    records: Sequence[FitRecord],
    test_labels: np.ndarray,
    pairs: Sequence[tuple[str, str]] | None = None,
) -> list[PairVerdict]:
    """Verdicts on ``pairs`` of model names (default: the network against every other)."""
    found = [pair(records, a, b, test_labels) for a, b in pairs or network_pairs(records)]
    return [verdict for verdict in found if verdict is not None]


def verdicts_table(found: Sequence[PairVerdict]) -> pd.DataFrame:
    """One row per pair and seed: the disagreement, McNemar's p, and the pair's interval."""
    rows = []
    for verdict in found:
        for seed, test in zip(verdict.seeds, verdict.tests, strict=True):
            rows.append(
                {
                    "first": verdict.first,
                    "second": verdict.second,
                    "seed": seed,
                    "only_first_right": test.only_first,
                    "only_second_right": test.only_second,
                    "mcnemar_p": test.p_value,
                    "mean_difference": verdict.difference,
                    "ci_low": verdict.low,
                    "ci_high": verdict.high,
                    "method": verdict.method,
                    "significant": verdict.significant,
                }
            )
    return pd.DataFrame(rows)


def verdicts_markdown(found: Sequence[PairVerdict]) -> str:
    """The sentences, then the per-seed table, as Markdown."""
    if not found:
        return "No pair of models with test predictions to compare.\n"
    sentences = "\n".join(f"- {verdict.sentence()}" for verdict in found)
    table = verdicts_table(found).to_markdown(index=False, floatfmt=".4g")
    return (
        f"{sentences}\n\nMcNemar's exact test on the images exactly one of the two got right "
        "(scipy.stats.binomtest), per paired fit; the interval is over seeds (t) where there "
        "are several, else over the test images (paired proportions). Differences are first "
        f"minus second, in accuracy.\n\n{table}\n"
    )


# --- did a fresh run reproduce the committed one? -------------------------------------------

REPRODUCED_LEVEL = 0.05  # McNemar's p below which a fresh fit differs from the committed one


@dataclass(frozen=True)
class Reproduction:
    """One model's fresh fits against the committed ones."""

    model: str
    verdict: str  # "identical", "reproduced within sampling", "differs" or "not comparable"
    detail: str

    def line(self) -> str:
        return f"{self.model}: {self.verdict} ({self.detail})"


def _settings(record: FitRecord) -> tuple:
    """What must match for two fits to be the same experiment (code and machine may differ)."""
    return (
        record.dataset_fingerprint,
        record.n_train,
        record.n_test,
        record.subset_seed,
        record.train_subset,
        repr(sorted(record.hyperparameters.items())),
    )


def reproduction(
    fresh: Sequence[FitRecord], committed: Sequence[FitRecord], test_labels: np.ndarray
) -> list[Reproduction]:
    """Each model of ``fresh`` against the fits of ``committed`` with its name and seeds.

    Identical when every prediction is the same; reproduced within sampling when some differ
    but McNemar's test between the fresh and the committed fit finds no significant difference
    (p >= 0.05) for any seed; differs otherwise.
    """
    old = {(r.model, r.seed): r for r in committed}
    found = []
    for model in dict.fromkeys(r.model for r in fresh):
        fits = [r for r in fresh if r.model == model]
        pairs = [(r, old.get((model, r.seed))) for r in fits]
        missing = [r.seed for r, o in pairs if o is None or not o.test_predictions]
        if any(not r.ok or not r.test_predictions for r in fits) or missing:
            detail = "a fit did not finish" if not missing else f"no committed fit for {missing}"
            found.append(Reproduction(model, "not comparable", detail))
            continue
        if any(_settings(r) != _settings(o) for r, o in pairs):
            found.append(Reproduction(model, "not comparable", "the settings differ"))
            continue
        differing = [int(np.sum(r.predictions() != o.predictions())) for r, o in pairs]
        images = sum(len(test_labels) for _ in pairs)
        if not any(differing):
            found.append(Reproduction(model, "identical", f"all {images:,} predictions"))
            continue
        tests = [mcnemar(correct(r, test_labels), correct(o, test_labels)) for r, o in pairs]
        worst = min(test.p_value for test in tests)
        change = [f"{r.test_accuracy - o.test_accuracy:+.4f}" for r, o in pairs]
        detail = (
            f"{sum(differing):,} of {images:,} predictions differ; accuracy change "
            f"{', '.join(change)}; smallest McNemar p {worst:.2g}"
        )
        verdict = "reproduced within sampling" if worst >= REPRODUCED_LEVEL else "differs"
        found.append(Reproduction(model, verdict, detail))
    return found


def environment_differences(old: dict, new: dict) -> list[str]:
    """What differs between two sessions' machines: CPU, BLAS (kernel, threads), versions."""
    changes = []
    old_env, new_env = old.get("environment", {}), new.get("environment", {})
    for label, before, after in (
        ("CPU", old_env.get("cpu"), new_env.get("cpu")),
        (
            "BLAS",
            blas_line(old_env.get("blas", []), False),
            blas_line(new_env.get("blas", []), False),
        ),
        ("BLAS threads per fit", old.get("blas_threads_per_job"), new.get("blas_threads_per_job")),
        ("fits at a time", old.get("jobs"), new.get("jobs")),
    ):
        if before != after:
            changes.append(f"{label}: {before} -> {after}")
    old_versions, new_versions = old_env.get("versions", {}), new_env.get("versions", {})
    for name in sorted(set(old_versions) | set(new_versions)):
        if old_versions.get(name) != new_versions.get(name):
            changes.append(f"{name}: {old_versions.get(name)} -> {new_versions.get(name)}")
    return changes
