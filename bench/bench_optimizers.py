"""Speed of ``lropt.optimizers`` beside the seed's literal lines (``make bench``; not a pytest test).

For 10⁶ and 10⁷ float32 parameters (two keys, ``W1`` and ``W2``), each optimizer takes steps on a fixed
gradient; so does a naive class in this file that runs the seed's lines exactly as written. The two are
timed in alternating rounds in the same process; the table shows the best round's time per step (the
least disturbed by other programs on the machine), the time per parameter and the speed-up (naive time /
lropt time). lropt's time includes its argument checks (one pass over the gradient for nan/inf); the
naive class checks nothing, so the table also shows the checks' own time and the speed-up without them.
From 2¹⁶ numbers per array (every row here) lropt runs its lines as compiled loops (``lropt._kernels``,
numba), which read and write each number once and use every CPU core; the naive class is NumPy on one
core. Target: speed-up ≥ 1.5 for every optimizer. A line after the table times a training-like loop (a
matrix product on OpenBLAS's threads, then an update), where threads of one library that spin waiting for
work can slow the other's. A last line times each lropt optimizer alone in a fresh
process (no naive class has primed ``malloc`` there), the case of a program that only trains with lropt.

    .venv/bin/python bench/bench_optimizers.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from lropt.optimizers import OPTIMIZERS, Params

# -- the seed's lines, written literally (ゼロから作る Deep Learning style) ---------------------------------


class NaiveSGD:
    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate

    def update(self, params: Params, grad: Params) -> None:
        for key in params.keys():
            params[key] -= self.learning_rate * grad[key]


class NaiveMomentum:
    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9) -> None:
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.v: Params | None = None

    def update(self, params: Params, grad: Params) -> None:
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.learning_rate * grad[key]
            params[key] += self.v[key]


class NaiveAdaGrad:
    def __init__(self, learning_rate: float = 0.01, theta: float = 1e-7) -> None:
        self.learning_rate = learning_rate
        self.theta = theta
        self.h: Params | None = None

    def update(self, params: Params, grad: Params) -> None:
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] += grad[key] * grad[key]
            params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)


class NaiveRMSProp:
    def __init__(self, learning_rate: float = 0.01, decay_rate: float = 0.99, theta: float = 1e-7) -> None:
        self.learning_rate = learning_rate
        self.decay_rate = decay_rate
        self.theta = theta
        self.h: Params | None = None

    def update(self, params: Params, grad: Params) -> None:
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grad[key] * grad[key]
            params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)


class NaiveAdam:
    def __init__(
        self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, theta: float = 1e-8
    ) -> None:
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.theta = theta
        self.t = 0
        self.m: Params | None = None
        self.v: Params | None = None

    def update(self, params: Params, grad: Params) -> None:
        if self.m is None or self.v is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        self.t += 1
        for key in params.keys():
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * grad[key]
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * grad[key] * grad[key]
            m_hat = self.m[key] / (1 - self.beta1**self.t)
            v_hat = self.v[key] / (1 - self.beta2**self.t)
            params[key] -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.theta)


NAIVE: dict[str, Callable[[], object]] = {
    "SGD": NaiveSGD,
    "Momentum": NaiveMomentum,
    "AdaGrad": NaiveAdaGrad,
    "RMSProp": NaiveRMSProp,
    "Adam": NaiveAdam,
}


# -- timing ---------------------------------------------------------------------------------------------


def make_problem(n: int, seed: int = 0) -> tuple[Params, Params]:
    """Two float32 keys of n/2 numbers each, shaped like weight matrices."""
    rng = np.random.default_rng(seed)
    rows = n // 2 // 1000
    params = {key: rng.standard_normal((rows, 1000), dtype=np.float32) for key in ("W1", "W2")}
    grad = {key: rng.standard_normal((rows, 1000), dtype=np.float32) * np.float32(1e-3) for key in params}
    return params, grad


def time_steps(opt, params: Params, grad: Params, steps: int) -> float:
    """Seconds per step, averaged over ``steps`` consecutive updates."""
    start = time.perf_counter()
    for _ in range(steps):
        opt.update(params, grad)
    return (time.perf_counter() - start) / steps


def time_checks(opt, params: Params, grad: Params, steps: int) -> float:
    """Seconds per call of the argument checks alone (``_checked``: dicts, shapes, dtypes, nan/inf)."""
    start = time.perf_counter()
    for _ in range(steps):
        opt._checked(params, grad)
    return (time.perf_counter() - start) / steps


def bench(n: int, rounds: int, steps: int) -> list[tuple[str, float, float, float]]:
    """(name, lropt s/step, naive s/step, checks s/step) for each optimizer, best of alternating rounds."""
    rows = []
    for name, cls in OPTIMIZERS.items():
        params_fast, grad = make_problem(n)
        params_naive = {key: val.copy() for key, val in params_fast.items()}
        fast, naive = cls(), NAIVE[name]()
        fast.update(params_fast, grad)  # warm-up: creates the state
        naive.update(params_naive, grad)
        fast_times, naive_times, check_times = [], [], []
        for _ in range(rounds):
            fast_times.append(time_steps(fast, params_fast, grad, steps))
            naive_times.append(time_steps(naive, params_naive, grad, steps))
            check_times.append(time_checks(fast, params_fast, grad, steps))
        for key in params_fast:  # same arithmetic, so (nearly) the same numbers
            np.testing.assert_allclose(params_fast[key], params_naive[key], rtol=1e-5, atol=1e-6)
        rows.append((name, min(fast_times), min(naive_times), min(check_times)))
    return rows


def fresh_process_ms(name: str, n: int, rounds: int) -> float:
    """lropt's ms/step for one optimizer in a new Python process that has run nothing else.

    The alternating rounds above share one process, where the naive lines' big temporaries leave
    ``malloc`` primed; a program that only trains with lropt does not get that for free.
    """
    out = subprocess.run(
        [sys.executable, __file__, "--fresh", name, str(n), str(rounds)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def _fresh(name: str, n: int, rounds: int) -> None:
    params, grad = make_problem(n)
    opt = OPTIMIZERS[name]()
    opt.update(params, grad)
    print(min(time_steps(opt, params, grad, 10) for _ in range(rounds)) * 1e3)


def with_matmul(rounds: int) -> dict[str, float]:
    """ms per round of a training-like loop: a matrix product (OpenBLAS, on every core) then an Adam update
    of 2²⁰ float32 numbers, beside each part alone; lropt and the naive lines.

    Threads that spin waiting for work after a parallel loop (OpenMP's, OpenBLAS's) can take the cores from
    the other library's threads; this line shows whether that happens.
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 1024), dtype=np.float32)
    b = rng.standard_normal((1024, 1024), dtype=np.float32)
    grad = {"W": rng.standard_normal((1024, 1024), dtype=np.float32) * np.float32(1e-3)}
    result = {}
    for label, opt in (("lropt", OPTIMIZERS["Adam"]()), ("naive", NAIVE["Adam"]())):
        params = {"W": rng.standard_normal((1024, 1024), dtype=np.float32)}
        opt.update(params, grad)

        def product() -> None:
            a @ b  # noqa: B018 - timed for its cost

        def update(opt=opt, params=params) -> None:
            opt.update(params, grad)

        def both(update=update) -> None:
            product()
            update()

        for name, work in (("product", product), (f"{label} update", update), (f"product + {label}", both)):
            best = float("inf")
            for _ in range(rounds):
                start = time.perf_counter()
                for _ in range(10):
                    work()
                best = min(best, (time.perf_counter() - start) / 10)
            result[name] = best * 1e3
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--fresh", nargs=3, metavar=("NAME", "N", "ROUNDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fresh:
        _fresh(args.fresh[0], int(args.fresh[1]), int(args.fresh[2]))
        return 0
    rounds = 3 if args.quick else 9
    plan = [(10**6, rounds, 10), (10**7, rounds, 3)]
    print(f"numpy {np.__version__}, float32, 2 keys; best of {rounds} rounds")
    header = (
        f"{'params':>9} {'optimizer':<9} {'lropt ms/step':>13} {'ns/param':>8} "
        f"{'naive ms/step':>13} {'ns/param':>8} {'speed-up':>8} {'checks ms':>9} {'w/o checks':>10}"
    )
    print(header)
    print("-" * len(header))
    worst = float("inf")
    for n, rounds_n, steps in plan:
        for name, fast, naive, checks in bench(n, rounds_n, steps):
            worst = min(worst, naive / fast)
            print(
                f"{n:>9.0e} {name:<9} {fast * 1e3:>13.2f} {fast / n * 1e9:>8.3f} "
                f"{naive * 1e3:>13.2f} {naive / n * 1e9:>8.3f} {naive / fast:>7.2f}× "
                f"{checks * 1e3:>9.2f} {naive / max(fast - checks, 1e-12):>9.2f}×"
            )
    print(f"smallest speed-up: {worst:.2f}× (target ≥ 1.5×)")
    fresh = {name: fresh_process_ms(name, 10**6, rounds) for name in OPTIMIZERS}
    print(
        "1e+06, lropt alone in a fresh process, ms/step: "
        + ", ".join(f"{name} {ms:.2f}" for name, ms in fresh.items())
    )
    mixed = with_matmul(rounds)
    print(
        "training-like round, ms: (512×1024)@(1024×1024) float32 product "
        f"{mixed['product']:.2f}; Adam on 2²⁰ float32: lropt {mixed['lropt update']:.2f}, "
        f"naive {mixed['naive update']:.2f}; product + update: lropt {mixed['product + lropt']:.2f}, "
        f"naive {mixed['product + naive']:.2f}"
    )
    print(
        "checks: lropt's argument checks alone (the nan/inf scan of the gradient is most of it; the naive lines"
        " check nothing); w/o checks: the speed-up of the update lines alone"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
