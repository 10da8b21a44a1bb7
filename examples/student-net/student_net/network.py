"""My network: one hidden layer of sigmoid units, quadratic cost, mini-batch gradient descent.

Written from scratch with NumPy. Subclassing scikit-learn's ``ClassifierMixin`` and
``BaseEstimator`` is all it takes to bring it into backprop-bench: the suite builds it with
``StudentNetwork()``, sets its parameters with ``set_params``, seeds it through
``random_state``, and calls ``fit(X, y)`` and ``predict(X)``.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class StudentNetwork(ClassifierMixin, BaseEstimator):
    """A [n_features, hidden, n_classes] sigmoid network trained by backpropagation.

    hidden: units in the hidden layer. epochs: passes over the training set. learning_rate:
    the step, times the batch's MEAN gradient. batch_size: samples per step. random_state:
    the seed of the initial weights and of the shuffling.
    """

    def __init__(self, hidden=30, epochs=10, learning_rate=3.0, batch_size=10, random_state=None):
        self.hidden = hidden
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float64)
        self.classes_, labels = np.unique(y, return_inverse=True)
        targets = np.eye(len(self.classes_))[labels]  # one-hot rows
        rng = np.random.default_rng(self.random_state)
        sizes = [X.shape[1], self.hidden, len(self.classes_)]
        # weights_[l] maps layer l to layer l + 1; N(0, 1) / sqrt(fan-in), as in the textbooks
        self.weights_ = [
            rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
            for n_in, n_out in zip(sizes[:-1], sizes[1:])
        ]
        self.biases_ = [np.zeros(n_out) for n_out in sizes[1:]]
        for _ in range(self.epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), self.batch_size):
                batch = order[start : start + self.batch_size]
                self._step(X[batch], targets[batch])
        return self

    def _step(self, x, t):
        # forward: keep every layer's activation
        activations = [x]
        for w, b in zip(self.weights_, self.biases_):
            activations.append(sigmoid(activations[-1] @ w + b))
        # backward: the output error of the quadratic cost, then back through each layer
        delta = (activations[-1] - t) * activations[-1] * (1 - activations[-1])
        for layer in range(len(self.weights_) - 1, -1, -1):
            grad_w = activations[layer].T @ delta / len(x)
            grad_b = delta.mean(axis=0)
            if layer > 0:
                a = activations[layer]
                delta = (delta @ self.weights_[layer].T) * a * (1 - a)
            self.weights_[layer] -= self.learning_rate * grad_w
            self.biases_[layer] -= self.learning_rate * grad_b

    def predict(self, X):
        a = np.asarray(X, dtype=np.float64)
        for w, b in zip(self.weights_, self.biases_):
            a = sigmoid(a @ w + b)
        return self.classes_[np.argmax(a, axis=1)]


def wide_network():
    """The same network with 100 hidden units: a factory, which backprop-bench accepts too."""
    return StudentNetwork(hidden=100)
