"""A tiny fully connected network in NumPy for the comparison chapter (小さなニューラルネットワーク).

Written like ゼロから作る Deep Learning's ``TwoLayerNet``: the parameters are a ``dict`` of arrays
(``W1, b1, W2, b2, ...``), ``gradient`` returns a ``dict`` with the same keys, and any optimizer of
:mod:`lropt.optimizers` updates the parameters in place with ``optimizer.update(net.params, grads)``.
The data set (three interleaved spirals) is generated in code from a seed: nothing is downloaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_int, check_positive, check_real
from .optimizers import _all_finite, _update_checking_first

__all__ = [
    "make_spirals",
    "split",
    "MLP",
    "TrainingLog",
    "train",
    "sweep_learning_rate",
    "best_learning_rate",
]


def make_spirals(
    points_per_class: int = 150, classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms in the plane (渦巻きデータ): ``X`` (n, 2) float64, ``y`` (n,) int."""
    points_per_class = check_int("points_per_class", points_per_class, 2)
    classes = check_int("classes", classes, 2)
    noise = check_real("noise", noise)
    if noise < 0:
        raise ValueError(
            f"引数 noise は 0 以上でなければなりません（有効な範囲: noise ≥ 0）。受け取った値: {noise}"
        )
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
    fraction = check_real("test_fraction", test_fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(
            f"引数 test_fraction は 0 より大きく 1 未満でなければなりません（有効な範囲: 0 < test_fraction < 1）。"
            f"受け取った値: {fraction}"
        )
    if len(x) != len(y):
        raise ValueError(f"x と y の個数が違います: len(x) = {len(x)}, len(y) = {len(y)}")
    rng = np.random.default_rng(check_int("seed", seed, 0))
    order = rng.permutation(len(x))
    n_test = int(round(len(x) * fraction))
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

    def _forward(
        self, x: np.ndarray, params: dict[str, np.ndarray] | None = None
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """The input and every layer's output (ReLU after every layer but the last), and the scores.

        ``params`` (default ``self.params``) may stack several networks' weights: ``W1`` (runs, 2, 32) with
        ``b1`` (runs, 1, 32) gives every output a leading axis of runs (``sweep_learning_rate``)."""
        params = self.params if params is None else params
        activations = [x]
        h = x
        for i in range(1, self.layers + 1):
            z = h @ params[f"W{i}"] + params[f"b{i}"]
            h = np.maximum(z, 0.0) if i < self.layers else z
            activations.append(h)
        return activations, h

    @staticmethod
    def _softmax(scores: np.ndarray) -> np.ndarray:
        shifted = scores - scores.max(axis=-1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=-1, keepdims=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The class with the largest score for every row of ``x``."""
        return self._forward(x)[1].argmax(axis=1)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        """Fraction of correct predictions (正解率)."""
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
        # gradient of the mean cross-entropy with respect to the scores: (softmax - one-hot) / n
        delta = probs.copy()
        delta[np.arange(n), y] -= 1.0
        delta /= n
        grads: dict[str, np.ndarray] = {}
        for i in range(self.layers, 0, -1):
            # layer i computed z = h_in @ W + b from its input h_in = activations[i - 1]
            h_in = activations[i - 1]
            grads[f"W{i}"] = h_in.T @ delta
            grads[f"b{i}"] = delta.sum(axis=0)
            if i > 1:
                # back through W, then through the ReLU: the gradient passes only where h_in > 0
                delta = (delta @ self.params[f"W{i}"].T) * (h_in > 0)
        return loss, grads


@dataclass(frozen=True)
class TrainingLog:
    """Training loss on the whole training set and test accuracy, recorded every ``every`` steps and at the
    last step (``steps`` holds the step numbers)."""

    steps: np.ndarray
    train_loss: np.ndarray
    test_accuracy: np.ndarray
    diverged: bool

    @property
    def final_loss(self) -> float:
        """Training loss at the last record (nan when diverged)."""
        return float(self.train_loss[-1])

    def tail_loss(self, steps: int = 100) -> float:
        """Mean training loss over the records of the last ``steps`` steps (最後の区間の平均損失).

        Less noisy than :attr:`final_loss`: a mini-batch step just before the end can raise or lower the last
        value by chance. nan when the run diverged.
        """
        steps = check_int("steps", steps, 0)
        if self.diverged:
            return float("nan")
        last = self.steps[-1]
        return float(np.mean(self.train_loss[self.steps >= last - steps]))


def train(
    net: MLP,
    optimizer: object,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    steps: int = 1000,
    batch_size: int = 32,
    every: int = 10,
    schedule: Callable[[int], float] | None = None,
    seed: int = 0,
) -> TrainingLog:
    """Mini-batch training of ``net`` with ``optimizer`` (updated in place); the batches depend only on ``seed``.

    A run stops and is reported as diverged (発散) as soon as the loss on the whole training set (at a record)
    or on the current mini-batch (at every step) exceeds 10 × the starting loss, or a gradient is not finite
    (the cross-entropy is capped near 28 by the 1e-12 inside the log, so "huge" cannot be the test); its
    remaining loss values are recorded as ``nan``. Checking every step makes the verdict independent of
    ``every``.
    """
    steps = check_int("steps", steps, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    every = check_int("every", every, 1)
    x_train, y_train, x_test, y_test = data
    rng = np.random.default_rng(check_int("seed", seed, 0))
    if hasattr(optimizer, "reset"):
        optimizer.reset()
    marks = sorted({*range(0, steps + 1, every), steps})
    index = {t: k for k, t in enumerate(marks)}
    losses = np.full(len(marks), np.nan)
    accs = np.full(len(marks), np.nan)
    diverged = False
    limit = 0.0
    # the first step checked, the later ones not: the gradients are fresh arrays from net.gradient with the
    # keys, shapes and dtypes of net.params, tested for nan/inf below
    update = _update_checking_first(optimizer)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(steps + 1):
            if t in index:
                k = index[t]
                losses[k] = net.loss(x_train, y_train)
                accs[k] = net.accuracy(x_test, y_test)
                if t == 0:
                    limit = 10.0 * max(losses[0], 1.0)
                if not np.isfinite(losses[k]) or losses[k] > limit:
                    losses[k] = accs[k] = np.nan
                    diverged = True
                    break
            if t == steps:
                break
            idx = rng.integers(0, len(x_train), batch_size)
            batch_loss, grads = net.gradient(x_train[idx], y_train[idx])
            finite = math.isfinite(batch_loss) and all(map(_all_finite, grads.values()))
            if not finite or batch_loss > limit:
                diverged = True
                break
            if schedule is not None:
                optimizer.learning_rate = check_positive("schedule(t)", schedule(t))
            update(net.params, grads)
    return TrainingLog(np.array(marks), losses, accs, diverged)


def sweep_learning_rate(
    make_optimizer: Callable[[float], object],
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    grid: Sequence[float],
    steps: int = 500,
    batch_size: int = 32,
    every: int = 10,
    seed: int = 0,
    sizes: tuple[int, ...] = (2, 32, 32, 3),
    make_schedule: Callable[[float], Callable[[int], float]] | None = None,
) -> dict[float, TrainingLog]:
    """Train once per η of ``grid`` (学習率の掃引) and return the logs, keyed by η.

    Every run starts from the same initial weights (``MLP(sizes, seed)``) and sees the same mini-batches
    (``seed``), so the runs differ only in η. ``make_optimizer(η)`` builds the optimizer, e.g.
    ``functools.partial(make_optimizer, "Adam")``; ``make_schedule(η)``, if given, a schedule starting at η
    (学習率の減衰), e.g. ``lambda eta: CosineDecay(eta, total_steps=steps, min_learning_rate=eta / 100)``.

    The logs are bit for bit those of ``train(MLP(sizes, seed), make_optimizer(η), data, ...)`` run for each η
    in turn; the runs are trained side by side (:func:`_train_in_lockstep`), which takes about half the time.
    """
    if len(grid) == 0:
        raise ValueError("引数 grid には 1 個以上の学習率を渡してください。")
    etas = [check_positive("grid の要素（学習率 η）", eta) for eta in grid]
    optimizers = [make_optimizer(eta) for eta in etas]
    if len({id(opt) for opt in optimizers}) < len(optimizers):
        raise ValueError(
            "make_optimizer が同じオプティマイザを 2 回以上返しました。"
            "学習率ごとに新しいオプティマイザを作って返してください（例: lambda eta: SGD(learning_rate=eta)）。"
        )
    schedules = [None if make_schedule is None else make_schedule(eta) for eta in etas]
    steps = check_int("steps", steps, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    every = check_int("every", every, 1)
    logs = _train_in_lockstep(
        MLP(sizes=sizes, seed=seed), optimizers, schedules, data, steps, batch_size, every, seed
    )
    return dict(zip(etas, logs, strict=True))


def _train_in_lockstep(
    net: MLP,
    optimizers: Sequence[object],
    schedules: Sequence[Callable[[int], float] | None],
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    steps: int,
    batch_size: int,
    every: int,
    seed: int,
) -> list[TrainingLog]:
    """``[train(copy of net, opt, data, ..., schedule=s, seed=seed) for opt, s in zip(optimizers, schedules)]``,
    bit for bit, with the runs' forward and backward passes done together.

    All runs start from ``net``'s weights and draw the same mini-batches, so their weights can be stacked
    (``W1`` of shape (runs, 2, 32)) and one matrix product per layer serves every run; NumPy's stacked
    ``matmul`` multiplies each (2, 32) slice as ``train`` does, and the sums and means reduce the same
    numbers in the same order (``tests/test_nn.py`` compares every record). Each optimizer still updates its
    own run's slices (views) in place. A diverged run stops being updated and recorded, as in ``train``.
    """
    x_train, y_train, x_test, y_test = data
    runs = len(optimizers)
    layers = net.layers
    stacked = {k: np.repeat(v[np.newaxis], runs, axis=0) for k, v in net.params.items()}
    views = [{k: v[r] for k, v in stacked.items()} for r in range(runs)]
    # the biases as (runs, 1, n) views, so that MLP._forward adds each run's own to its rows
    broadcast = {k: v[:, np.newaxis, :] if k.startswith("b") else v for k, v in stacked.items()}
    for opt in optimizers:
        if hasattr(opt, "reset"):
            opt.reset()
    updates = [_update_checking_first(opt) for opt in optimizers]

    def forward(x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        return net._forward(x, broadcast)

    softmax = MLP._softmax

    def losses_of(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
        # C order, so that each run's mean adds its numbers in train's (pairwise) order
        picked = np.ascontiguousarray(probs[:, np.arange(len(y)), y])
        return -np.mean(np.log(picked + 1e-12), axis=1)

    rng = np.random.default_rng(seed)
    marks = sorted({*range(0, steps + 1, every), steps})
    index = {t: k for k, t in enumerate(marks)}
    losses = np.full((runs, len(marks)), np.nan)
    accs = np.full((runs, len(marks)), np.nan)
    active = np.ones(runs, dtype=bool)
    limit = np.zeros(runs)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(steps + 1):
            if t in index:
                k = index[t]
                loss = losses_of(softmax(forward(x_train)[1]), y_train)
                acc = np.mean(forward(x_test)[1].argmax(axis=-1) == y_test, axis=1)
                if t == 0:
                    limit = 10.0 * np.maximum(loss, 1.0)
                bad = ~np.isfinite(loss) | (loss > limit)
                losses[active, k] = np.where(bad, np.nan, loss)[active]
                accs[active, k] = np.where(bad, np.nan, acc)[active]
                active &= ~bad
            if t == steps or not active.any():
                break
            idx = rng.integers(0, len(x_train), batch_size)
            x, y = x_train[idx], y_train[idx]
            activations, scores = forward(x)
            probs = softmax(scores)
            batch_loss = losses_of(probs, y)
            delta = probs.copy()
            delta[:, np.arange(batch_size), y] -= 1.0
            delta /= batch_size
            grads: dict[str, np.ndarray] = {}
            for i in range(layers, 0, -1):
                h_in = activations[i - 1]
                grads[f"W{i}"] = np.swapaxes(h_in, -1, -2) @ delta
                grads[f"b{i}"] = delta.sum(axis=-2)
                if i > 1:
                    delta = (delta @ np.swapaxes(stacked[f"W{i}"], -1, -2)) * (h_in > 0)
            finite = np.isfinite(batch_loss) & (batch_loss <= limit)
            for g in grads.values():
                finite &= np.isfinite(g).reshape(runs, -1).all(axis=1)
            active &= finite
            for r in np.flatnonzero(active):
                if schedules[r] is not None:
                    optimizers[r].learning_rate = check_positive("schedule(t)", schedules[r](t))
                updates[r](views[r], {key: g[r] for key, g in grads.items()})
    return [TrainingLog(np.array(marks), losses[r], accs[r], not active[r]) for r in range(runs)]


def best_learning_rate(logs: Mapping[float, TrainingLog], tail: int = 100) -> float:
    """The η with the lowest mean training loss over the last ``tail`` steps (:meth:`TrainingLog.tail_loss`);
    diverged runs never win; ties go to the smaller η."""
    alive = {eta: log.tail_loss(tail) for eta, log in logs.items() if not log.diverged}
    if not alive:
        raise ValueError("すべての学習率で発散しました。grid に小さな学習率を加えてください。")
    return min(alive, key=lambda e: (alive[e], e))
