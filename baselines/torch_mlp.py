"""The network again, in PyTorch on the CPU: same layers, activations, cost, N(0, 1)
initialisation, summed (or mean) gradient and plain SGD step, batch size and epochs.

It answers "what does autograd plus PyTorch's kernels give for the very same training?". The
random numbers differ from NumPy's, so single runs differ; the spread over seeds is comparable.
PyTorch is an optional extra (``pip install "backprop-bench[torch]"``): this module imports it
only inside ``fit``, and ``torch_available()`` says whether it can.
"""

from __future__ import annotations

import importlib.util
import itertools
import time
import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from baselines.peer import PeerNetworkClassifier


def torch_available() -> bool:
    """Whether PyTorch can be imported."""
    return importlib.util.find_spec("torch") is not None


def _activations(torch):
    return {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "identity": lambda z: z,
        "softmax": lambda z: torch.softmax(z, dim=1),
    }


def _costs(torch):
    """Per-sample costs of output ``a`` against one-hot ``y``, both (n, n_classes) -> (n,)."""
    tiny = 1e-12
    return {
        "quadratic": lambda a, y: 0.5 * ((a - y) ** 2).sum(dim=1),
        "cross_entropy": lambda a, y: -(y * torch.log(a.clamp_min(tiny))).sum(dim=1),
        "binary_cross_entropy": lambda a, y: (
            -(y * torch.log(a.clamp_min(tiny)) + (1 - y) * torch.log((1 - a).clamp_min(tiny))).sum(
                dim=1
            )
        ),
    }


class TorchNetworkClassifier(PeerNetworkClassifier):
    """The network of ``nets`` trained by PyTorch (parameters: ``PeerNetworkClassifier``)."""

    def _init_parameters(self, torch, sizes, generator, dtype):
        parameters = []
        for n_in, n_out in itertools.pairwise(sizes):
            if self.initialiser == "glorot_uniform":
                bound = (6 / (n_in + n_out)) ** 0.5
                W = (torch.rand(n_in, n_out, generator=generator, dtype=dtype) * 2 - 1) * bound
                b = torch.zeros(n_out, dtype=dtype)
            else:
                W = torch.randn(n_in, n_out, generator=generator, dtype=dtype)
                b = torch.randn(n_out, generator=generator, dtype=dtype)
                if self.initialiser == "normal_fan_in":
                    W /= n_in**0.5
            parameters += [W.requires_grad_(), b.requires_grad_()]
        return parameters

    def _forward(self, torch, X):
        activations = _activations(torch)
        a = X
        n_layers = len(self.parameters_) // 2
        for layer in range(n_layers):
            W, b = self.parameters_[2 * layer], self.parameters_[2 * layer + 1]
            name = self.output_activation if layer == n_layers - 1 else self.hidden_activation
            a = activations[name](a @ W + b)
        return a

    def fit(self, X, y, validation_data=None, on_epoch=None):
        """Train on ``X`` (n, n_features) and labels ``y`` (n,); returns ``self``.

        ``validation_data=(X_test, y_test)`` adds test accuracy and cost to each epoch's record;
        ``on_epoch(record)`` is called after every epoch.
        """
        import torch

        self._check_params()
        X, y = validate_data(self, X, y, dtype=self.dtype)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        dtype = getattr(torch, self.dtype)
        sizes = [X.shape[1], *self.hidden_layer_sizes, len(self.classes_)]
        generator = torch.Generator()
        if self.random_state is None:
            generator.seed()
        else:
            generator.manual_seed(int(self.random_state))
        self.parameters_ = self._init_parameters(torch, sizes, generator, dtype)
        with warnings.catch_warnings():  # read-only data: PyTorch warns, and never writes it
            warnings.simplefilter("ignore", UserWarning)
            X_t = torch.from_numpy(np.ascontiguousarray(X))
        Y_t = torch.nn.functional.one_hot(torch.from_numpy(y_index), len(self.classes_)).to(dtype)
        cost = _costs(torch)[self.cost]
        self.history_ = []
        for epoch in range(1, self.epochs + 1):
            start = time.perf_counter()
            order = torch.randperm(len(X_t), generator=generator)
            for first in range(0, len(X_t), self.batch_size):
                batch = order[first : first + self.batch_size]
                per_sample = cost(self._forward(torch, X_t[batch]), Y_t[batch])
                loss = per_sample.sum() if self.reduction == "sum" else per_sample.mean()
                loss.backward()
                with torch.no_grad():
                    for parameter in self.parameters_:
                        parameter -= self.learning_rate * parameter.grad
                        parameter.grad = None
            seconds = time.perf_counter() - start
            self._end_epoch(epoch, seconds, X, y, validation_data, on_epoch)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Output activations (n, n_classes) for ``X`` (n, n_features)."""
        import torch

        check_is_fitted(self, "parameters_")
        X = validate_data(self, X, reset=False, dtype=self.dtype)
        with torch.no_grad():
            return self._forward(torch, torch.from_numpy(np.ascontiguousarray(X))).numpy()
