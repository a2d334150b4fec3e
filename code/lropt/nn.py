"""A tiny fully connected network in NumPy for the comparison chapter (小さなニューラルネットワーク).

Written like ゼロから作る Deep Learning's ``TwoLayerNet``: the parameters are a ``dict`` of arrays
(``W1, b1, W2, b2, ...``), ``gradient`` returns a ``dict`` with the same keys, and any optimizer of
:mod:`lropt.optimizers` updates the parameters in place with ``optimizer.update(net.params, grads)``.
The data set (three interleaved spirals) is generated in code from a seed: nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validation import check_int, check_positive, check_real

__all__ = ["make_spirals", "split", "MLP", "TrainingLog", "train"]


def make_spirals(
    points_per_class: int = 150, classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms in the plane (渦巻きデータ): ``X`` (n, 2) float64, ``y`` (n,) int."""
    points_per_class = check_int("points_per_class", points_per_class, 2)
    classes = check_int("classes", classes, 2)
    noise = check_real("noise", noise)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    xs, ys = [], []
    for k in range(classes):
        r = np.linspace(0.05, 1.0, points_per_class)
        angle = np.linspace(k * 2 * np.pi / classes, k * 2 * np.pi / classes + 1.75 * np.pi, points_per_class)
        angle = angle + noise * rng.standard_normal(points_per_class)
        xs.append(np.column_stack([r * np.cos(angle), r * np.sin(angle)]))
        ys.append(np.full(points_per_class, k))
    return np.concatenate(xs), np.concatenate(ys)


def split(
    x: np.ndarray, y: np.ndarray, test_fraction: float = 0.25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into ``(x_train, y_train, x_test, y_test)``."""
    rng = np.random.default_rng(check_int("seed", seed, 0))
    order = rng.permutation(len(x))
    n_test = int(round(len(x) * check_real("test_fraction", test_fraction)))
    test, train_idx = order[:n_test], order[n_test:]
    return x[train_idx], y[train_idx], x[test], y[test]


class MLP:
    """ReLU network with a softmax cross-entropy loss (多層パーセプトロン).

    ``sizes = (2, 32, 32, 3)`` gives ``W1 (2, 32), b1, W2 (32, 32), b2, W3 (32, 3), b3``; weights start from
    He initialisation with the given seed, so every optimizer can start from the same weights
    (``copy_params``).
    """

    def __init__(self, sizes: tuple[int, ...] = (2, 32, 32, 3), seed: int = 0) -> None:
        if len(sizes) < 2:
            raise ValueError(f"引数 sizes には 2 個以上の層の大きさを渡してください。受け取った値: {sizes}")
        self.sizes = tuple(check_int("sizes の要素", s, 1) for s in sizes)
        rng = np.random.default_rng(check_int("seed", seed, 0))
        self.params: dict[str, np.ndarray] = {}
        for i, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True), start=1):
            self.params[f"W{i}"] = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
            self.params[f"b{i}"] = np.zeros(n_out)

    @property
    def layers(self) -> int:
        return len(self.sizes) - 1

    def copy_params(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.params.items()}

    def _forward(self, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        activations = [x]
        h = x
        for i in range(1, self.layers + 1):
            z = h @ self.params[f"W{i}"] + self.params[f"b{i}"]
            h = np.maximum(z, 0.0) if i < self.layers else z
            activations.append(h)
        return activations, h

    @staticmethod
    def _softmax(scores: np.ndarray) -> np.ndarray:
        shifted = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._forward(x)[1].argmax(axis=1)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(x) == y))

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean softmax cross-entropy (交差エントロピー誤差)."""
        probs = self._softmax(self._forward(x)[1])
        return float(-np.mean(np.log(probs[np.arange(len(y)), y] + 1e-12)))

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Loss and its gradient by backpropagation (誤差逆伝播法), keys like ``params``."""
        activations, scores = self._forward(x)
        probs = self._softmax(scores)
        n = len(y)
        loss = float(-np.mean(np.log(probs[np.arange(n), y] + 1e-12)))
        delta = probs.copy()
        delta[np.arange(n), y] -= 1.0
        delta /= n
        grads: dict[str, np.ndarray] = {}
        for i in range(self.layers, 0, -1):
            h_in = activations[i - 1]
            grads[f"W{i}"] = h_in.T @ delta
            grads[f"b{i}"] = delta.sum(axis=0)
            if i > 1:
                delta = (delta @ self.params[f"W{i}"].T) * (activations[i - 1] > 0)
        return loss, grads


@dataclass(frozen=True)
class TrainingLog:
    """Training loss on the whole training set and test accuracy, recorded every ``every`` steps."""

    steps: np.ndarray
    train_loss: np.ndarray
    test_accuracy: np.ndarray
    diverged: bool

    @property
    def final_loss(self) -> float:
        return float(self.train_loss[-1])


def train(
    net: MLP,
    optimizer: object,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    steps: int = 1000,
    batch_size: int = 32,
    every: int = 25,
    schedule: Callable[[int], float] | None = None,
    seed: int = 0,
) -> TrainingLog:
    """Mini-batch training of ``net`` with ``optimizer`` (updated in place); the batches depend only on ``seed``.

    A run whose loss becomes non-finite or exceeds 10 × the starting loss (the cross-entropy is capped near 28
    by the 1e-12 inside the log, so "huge" cannot be the test) stops and is reported as diverged (発散); its
    remaining loss values are recorded as ``nan``.
    """
    steps = check_int("steps", steps, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    every = check_int("every", every, 1)
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(check_int("seed", seed, 0))
    if hasattr(optimizer, "reset"):
        optimizer.reset()
    marks = list(range(0, steps + 1, every))
    losses = np.full(len(marks), np.nan)
    accs = np.full(len(marks), np.nan)
    diverged = False
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(steps + 1):
            if t % every == 0:
                k = t // every
                losses[k] = net.loss(x_train, y_train)
                accs[k] = net.accuracy(x_test, y_test)
                if t == 0:
                    limit = 10.0 * max(losses[0], 1.0)
                if not np.isfinite(losses[k]) or losses[k] > limit:
                    losses[k] = np.nan
                    diverged = True
                    break
            if t == steps:
                break
            idx = rng.integers(0, len(x_train), batch_size)
            _, grads = net.gradient(x_train[idx], y_train[idx])
            if not all(np.all(np.isfinite(g)) for g in grads.values()):
                diverged = True
                break
            if schedule is not None:
                optimizer.learning_rate = check_positive("schedule(t)", schedule(t))
            optimizer.update(net.params, grads)
    return TrainingLog(np.array(marks), losses, accs, diverged)
