"""The floor: multinomial logistic regression on the raw (scaled) pixels.

No hidden layer, so nothing of the network is mirrored: it shows how much of any model's
accuracy a linear boundary already gets. ``lbfgs`` is deterministic, so one fit is enough.
``MAX_ITER`` leaves lbfgs room to converge, so the floor is a converged model rather than a
truncated one: on full MNIST (/255, C=1) lbfgs needs more than scikit-learn's default of 100
iterations (which stops short, with a ConvergenceWarning); a record's ``fitted`` says how many
it took.
"""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression

from baselines.mirror import Mirror

MAX_ITER = 1000


def make_linear(mirror: Mirror, seed: int | None = None) -> LogisticRegression:
    """Multinomial logistic regression, C=1, lbfgs; ``mirror`` and ``seed`` are not used."""
    return LogisticRegression(C=1.0, solver="lbfgs", max_iter=MAX_ITER)
