"""The network again, in JAX on the CPU, written the way a careful JAX user would write it.

The same training as ``nets``, number for number: the initial weights ARE those of ``nets``
(``nets.Network`` built from the same seed), the batches come in the same order (a Generator
from the same seed, one permutation per epoch, as ``nets.training.train`` draws them), the cost
is summed over the batch (or averaged, as the preset says) and the step is plain SGD with the
same learning rate. What JAX changes is how it is computed:

- the gradient is ``jax.grad`` of the summed cost, not the four backprop equations;
- one epoch is one compiled program: ``jax.jit`` of a ``lax.scan`` over the epoch's batches,
  each batch gathered from the training set inside it by its row indices (a last, smaller
  batch is a second scan of length 1, compiled once); it is built once per process and
  settings (``compiled_epoch``), so only the first fit on data of a given shape compiles;
- numbers are float64 by default, as in ``nets`` (``jax_enable_x64``), or float32.

Samples are rows here (``z = a @ W + b``, ``W`` of shape (n_in, n_out)), as JAX users write it;
``nets`` keeps them as columns. A sigmoid output with binary cross-entropy, and a softmax with
cross-entropy, are one function of the output layer's z (softplus, log-sum-exp), as in
``nets.costs.OUTPUT_LOSSES``. JAX is an optional extra (``pip install "backprop-bench[jax]"``):
this module imports it only when it trains, and ``jax_available()`` says whether it can.
"""

from __future__ import annotations

import functools
import importlib.util
import time

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from baselines.peer import PeerNetworkClassifier
from nets.checks import as_generator
from nets.network import Network


def jax_available() -> bool:
    """Whether JAX can be imported."""
    return importlib.util.find_spec("jax") is not None


def _jax():
    """The ``jax`` module, with float64 enabled (float32 arrays stay float32)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def activations(jnp) -> dict:
    """Each activation of ``nets.activations`` by name, on rows (softmax over axis 1)."""
    import jax

    return {
        "sigmoid": jax.nn.sigmoid,
        "tanh": jnp.tanh,
        "relu": jax.nn.relu,
        "identity": lambda z: z,
        "softmax": lambda z: jax.nn.softmax(z, axis=1),
    }


def output_z(params, X, hidden):
    """The output layer's weighted input z_L (n, n_out) for inputs ``X`` (n, n_in)."""
    a = X
    for W, b in params[:-1]:
        a = hidden(a @ W + b)
    W, b = params[-1]
    return a @ W + b


def summed_cost(params, X, Y, *, hidden_activation, output_activation, cost):
    """The cost of the network ``params`` (a list of (W, b)) SUMMED over the rows of X, Y."""
    import jax
    import jax.numpy as jnp

    table = activations(jnp)
    z = output_z(params, X, table[hidden_activation])
    if (output_activation, cost) == ("sigmoid", "binary_cross_entropy"):
        return jnp.sum(jnp.logaddexp(0.0, z) - Y * z)
    if (output_activation, cost) == ("softmax", "cross_entropy"):
        log_sum_exp = jax.nn.logsumexp(z, axis=1)
        return jnp.sum(jnp.sum(Y, axis=1) * log_sum_exp - jnp.sum(Y * z, axis=1))
    return 0.5 * jnp.sum((table[output_activation](z) - Y) ** 2)  # the quadratic cost


def parameters_of(network: Network) -> list:
    """A ``nets`` network's weights and biases as JAX arrays on rows: [(W.T, b), ...], in the
    network's dtype (float64 is enabled first)."""
    _jax()
    import jax.numpy as jnp

    return [
        (jnp.asarray(W.T), jnp.asarray(b[:, 0]))
        for W, b in zip(network.weights, network.biases, strict=True)
    ]


@functools.cache
def compiled_epoch(hidden_activation, output_activation, cost, learning_rate, reduction):
    """The jitted epoch ``(params, X, Y, batches (k, m) row indices) -> params`` for these
    settings: ``lax.scan`` of one SGD step per batch. Built once per process and settings, so a
    second fit on arrays of the same shapes runs without compiling again."""
    jax = _jax()
    options = {
        "hidden_activation": hidden_activation,
        "output_activation": output_activation,
        "cost": cost,
    }
    gradient = jax.grad(lambda params, X, Y: summed_cost(params, X, Y, **options))

    def step(params, X, Y, rows):
        scale = learning_rate / rows.shape[0] if reduction == "mean" else learning_rate
        g = gradient(params, X[rows], Y[rows])
        return jax.tree.map(lambda p, d: p - scale * d, params, g), None

    def epoch(params, X, Y, batches):
        return jax.lax.scan(lambda p, rows: step(p, X, Y, rows), params, batches)[0]

    return jax.jit(epoch)


class JaxNetworkClassifier(PeerNetworkClassifier):
    """The network of ``nets`` trained by JAX (parameters: ``PeerNetworkClassifier``)."""

    def fit(self, X, y, validation_data=None, on_epoch=None):
        """Train on ``X`` (n, n_features) and labels ``y`` (n,); returns ``self``.

        ``validation_data=(X_test, y_test)`` adds test accuracy and cost to each epoch's record;
        ``on_epoch(record)`` is called after every epoch.
        """
        self._check_params()
        jax = _jax()
        import jax.numpy as jnp

        X, y = validate_data(self, X, y, dtype=self.dtype)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        seed = self.random_state
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        network = Network(
            [X.shape[1], *self.hidden_layer_sizes, len(self.classes_)],
            hidden_activation=self.hidden_activation,
            output_activation=self.output_activation,
            cost=self.cost,
            initialiser=self.initialiser,
            dtype=self.dtype,
            seed=seed,
        )
        self.params_ = parameters_of(network)
        order = as_generator(seed)  # a second Generator from the seed, as nets.train draws
        n, m = len(X), self.batch_size
        X_j = jnp.asarray(X)
        Y_j = jnp.asarray(np.eye(len(self.classes_), dtype=X.dtype)[y_index])
        epoch_of = compiled_epoch(
            self.hidden_activation,
            self.output_activation,
            self.cost,
            float(self.learning_rate),
            self.reduction,
        )
        self.history_ = []
        for epoch in range(1, self.epochs + 1):
            start = time.perf_counter()
            rows = np.arange(n) if m >= n else order.permutation(n)
            whole = n - n % m if m < n else n
            params = epoch_of(self.params_, X_j, Y_j, rows[:whole].reshape(-1, min(m, n)))
            if whole < n:  # the last, smaller batch
                params = epoch_of(params, X_j, Y_j, rows[whole:].reshape(1, -1))
            self.params_ = jax.block_until_ready(params)
            seconds = time.perf_counter() - start
            self._end_epoch(epoch, seconds, X, y, validation_data, on_epoch)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Output activations (n, n_classes) for ``X`` (n, n_features)."""
        check_is_fitted(self, "params_")
        jax = _jax()
        import jax.numpy as jnp

        X = validate_data(self, X, reset=False, dtype=self.dtype)
        table = activations(jnp)
        z = output_z(self.params_, jnp.asarray(X), table[self.hidden_activation])
        return np.asarray(jax.block_until_ready(table[self.output_activation](z)))
