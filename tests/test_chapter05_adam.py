"""Chapter 5 (Adam): every number and verdict of the prose, the quoted lines, the step-size bound and the slider.

Each test repeats a claim of ``chapters/05_adam.ipynb`` with the same settings, computed with lropt.

What "each step is about η at most" means here, precisely (``test_step_bound_*``): with θ = 0 the step of
coordinate i is η |m̂_t| / √v̂_t, and by Cauchy–Schwarz, for *every* gradient sequence,
|m̂_t| / √v̂_t ≤ R_t = √(Σ_{k<t} β₂ᵏ · Σ_{k<t} (β₁²/β₂)ᵏ) / Σ_{k<t} β₁ᵏ, with equality for gradients growing by a
factor β₂/β₁ per step. R_1 = 1, R_t = 1 for β₁ = β₂, R_t > 1 otherwise (t ≥ 2); R_t ≤ (1 − β₁)/√((1 − β₂)(1 −
β₁²/β₂)) when β₁² < β₂ (7.27 for the defaults) and R_t → ∞ when β₁² ≥ β₂. The tests check the bound on random
sequences of several kinds (Gaussian with and without mean, heavy-tailed, sparse, growing, sign-flipping) for
β pairs on both sides of β₁² = β₂, that growing sequences reach it, that constant gradients and first steps
stay below η, and the statistics the chapter quotes for three random families with the defaults.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from lropt.explorers.adam import BETA1_GRID, BETA2_GRID, ETA_GRID, explore_adam, leave_step
from lropt.interactive import NearOneSlider, near_one_grid, simplify_curve, static_payload, thin_path
from lropt.optimizers import SGD, Adam, Momentum, RMSProp
from lropt.surfaces import Saddle
from lropt.trajectory import run, step_ratios

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "chapters" / "05_adam.ipynb"
DOC_LINES = [
    "self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * grad[key]",
    "self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * grad[key] * grad[key]",
    "m_hat = self.m[key] / (1 - self.beta1**self.t)",
    "v_hat = self.v[key] / (1 - self.beta2**self.t)",
    "params[key] -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.theta)",
]
UPDATE_LINE = "p -= self.learning_rate / self._bias1 * m / (np.sqrt(v / self._bias2) + self.theta)"
SADDLE = Saddle()


def _cells() -> list[dict]:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def _markdown() -> str:
    return "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "markdown")


def step_over_eta(
    gradients: np.ndarray, beta1: float = 0.9, beta2: float = 0.999, theta: float = 1e-8
) -> np.ndarray:
    """|Δw| / η of lropt's Adam (η = 1) for gradients of shape (steps, coordinates) — as in the chapter."""
    opt = Adam(learning_rate=1.0, beta1=beta1, beta2=beta2, theta=theta)
    params = {"w": np.zeros(gradients.shape[1])}
    out = np.empty_like(gradients)
    for i, g in enumerate(gradients):
        before = params["w"].copy()
        opt.update(params, {"w": g})
        out[i] = np.abs(params["w"] - before)
    return out


def bound(t: int, beta1: float = 0.9, beta2: float = 0.999) -> float:
    """R_t, the largest |m̂_t|/√v̂_t any gradient sequence can give (θ = 0)."""
    k = np.arange(t)
    return float(np.sqrt(np.sum(beta2**k) * np.sum((beta1**2 / beta2) ** k)) / np.sum(beta1**k))


def adam_on_saddle(beta1: float = 0.9, beta2: float = 0.999, eta: float = 0.1, steps: int = 150):
    return run(Adam(learning_rate=eta, beta1=beta1, beta2=beta2), SADDLE, steps=steps)


# ------------------------------------------------------------------------------------------ the notebook
def test_chapter_quotes_the_adam_docstring_lines_and_the_update_line():
    blocks = re.findall(r"```python\n(.*?)```", _markdown(), flags=re.S)
    quoted = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert quoted == [*DOC_LINES, UPDATE_LINE]
    doc_lines = {line.strip() for line in (Adam.__doc__ or "").splitlines()}
    for line in DOC_LINES:
        assert line in doc_lines, f"Adam's docstring no longer holds {line!r}"
    source_lines = {line.strip() for line in inspect.getsource(Adam._step).splitlines()}
    assert UPDATE_LINE in source_lines


def test_chapter_sections_in_the_house_order():
    headings = re.findall(r"^##+ (.+)$", _markdown(), flags=re.M)
    order = [
        "直感",
        "数式",
        "実装",
        "偏りの補正",
        "1 ステップの大きさ",
        "可視化とスライダー",
        "注意点",
        "まとめ",
        "確認問題",
    ]
    positions = [next(i for i, h in enumerate(headings) if h.startswith(name)) for name in order]
    assert positions == sorted(positions), headings


def test_chapter_cells_hidden_claims_and_line_length():
    cells = _cells()
    hidden = [c for c in cells if "remove-cell" in c["metadata"].get("tags", [])]
    assert len(hidden) >= 9
    for c in hidden:
        assert c["metadata"]["jupyter"] == {"source_hidden": True}
        assert "assert" in "".join(c["source"])
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for line in code.splitlines():
        assert len(line) <= 80, line
    assert "from lropt.explorers.adam import explore_adam" in code
    assert re.search(r"^explore_adam\(\)$", code, flags=re.M)
    assert not re.search(r"^class ", code, flags=re.M)


def test_seed_words_and_quiz_dropdowns():
    text = _markdown()
    assert "モメンタムおよびRMSPropのメリットを孕んだアルゴリズム" in text
    assert "過去の勾配の指数関数的減衰平均" in text and "過去の勾配の2乗の指数関数的減衰平均" in text
    assert text.count(":::{admonition} 解答\n:class: dropdown") >= 2
    for default in (r"\eta = 0.001", r"\beta_1 = 0.9", r"\beta_2 = 0.999", r"\theta = 10^{-8}"):
        assert default in text


def test_library_defaults_are_the_ones_the_chapter_names():
    opt = Adam()
    assert (opt.learning_rate, opt.beta1, opt.beta2, opt.theta) == (0.001, 0.9, 0.999, 1e-8)


# ------------------------------------------------------------------------------------------ 直感
def test_intuition_step_sizes():
    eta, steps = 0.01, 50
    grads = np.stack([np.full(steps, 10.0), np.full(steps, 0.01), (-1.0) ** np.arange(steps)], axis=1)
    moves = {}
    for name, opt in [("SGD", SGD(learning_rate=eta)), ("Adam", Adam(learning_rate=eta))]:
        params = {"w": np.zeros(3)}
        history = []
        for g in grads:
            before = params["w"].copy()
            opt.update(params, {"w": g})
            history.append(np.abs(params["w"] - before))
        moves[name] = np.array(history) / eta
    np.testing.assert_allclose(moves["SGD"], np.broadcast_to([10.0, 0.01, 1.0], (steps, 3)), rtol=1e-12)
    np.testing.assert_allclose(moves["Adam"][:, :2], 1.0, atol=2e-6)
    assert moves["Adam"][0, 2] == pytest.approx(1.0, abs=1e-7)
    assert moves["Adam"][-1, 2] == pytest.approx((1 - 0.9) / (1 + 0.9), rel=1e-6)


# ------------------------------------------------------------------------------------------ 数式
def test_m_is_momentum_as_an_average_and_v_is_rmsprop_h():
    rng = np.random.default_rng(1)
    beta1, beta2, eta = 0.9, 0.999, 0.01
    opts = {
        "Momentum": Momentum(learning_rate=eta, momentum=beta1),
        "RMSProp": RMSProp(learning_rate=eta, decay_rate=beta2),
        "Adam": Adam(learning_rate=eta, beta1=beta1, beta2=beta2),
    }
    params = {name: {"w": np.zeros(4)} for name in opts}
    for _ in range(20):
        g = rng.standard_normal(4)
        for name, opt in opts.items():
            opt.update(params[name], {"w": g})
    np.testing.assert_allclose(opts["Momentum"].v["w"], -eta * opts["Adam"].m["w"] / (1 - beta1), rtol=1e-12)
    np.testing.assert_allclose(opts["RMSProp"].h["w"], opts["Adam"].v["w"], rtol=1e-12)


def test_unrolled_sums_and_bias_correction_match_the_state():
    rng = np.random.default_rng(7)
    beta1, beta2, steps = 0.8, 0.99, 25
    grads = rng.standard_normal((steps, 3))
    opt = Adam(learning_rate=0.1, beta1=beta1, beta2=beta2)
    params = {"w": np.zeros(3)}
    for t, g in enumerate(grads, start=1):
        before = params["w"].copy()
        opt.update(params, {"w": g})
        weights1 = (1 - beta1) * beta1 ** np.arange(t - 1, -1, -1)
        weights2 = (1 - beta2) * beta2 ** np.arange(t - 1, -1, -1)
        m = weights1 @ grads[:t]
        v = weights2 @ grads[:t] ** 2
        np.testing.assert_allclose(opt.m["w"], m, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(opt.v["w"], v, rtol=1e-12, atol=1e-15)
        assert weights1.sum() == pytest.approx(1 - beta1**t)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        np.testing.assert_allclose(params["w"] - before, -0.1 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-10)


# ------------------------------------------------------------------------------------------ 実装
def test_two_hand_computed_steps():
    opt = Adam(learning_rate=0.1)
    params = {"w": np.ones(3)}
    g = np.array([100.0, 0.01, -3.0])
    changes = []
    for _ in range(2):
        before = params["w"].copy()
        opt.update(params, {"w": g})
        changes.append(params["w"] - before)
        if opt.t == 1:
            np.testing.assert_allclose(opt.m["w"], 0.1 * g, rtol=1e-12)
            np.testing.assert_allclose(opt.v["w"], 0.001 * g * g, rtol=1e-12)
    np.testing.assert_allclose(opt.m["w"], 0.19 * g, rtol=1e-12)
    np.testing.assert_allclose(opt.v["w"], 0.001999 * g * g, rtol=1e-12)
    for change in changes:
        np.testing.assert_allclose(change, -0.1 * np.sign(g), rtol=0, atol=2e-7)
        assert np.all(np.abs(change) < 0.1)
    assert abs(changes[0][1]) == pytest.approx(0.0999999, abs=1e-9)


# ------------------------------------------------------------------------------------------ 偏りの補正
def test_first_step_without_and_with_bias_correction():
    expected = {(0.9, 0.999): 3.1623, (0.9, 0.9999): 10.0, (0.9, 0.9): 0.3162, (0.99, 0.9): 0.0316}
    for (b1, b2), raw_expected in expected.items():
        opt = Adam(learning_rate=0.1, beta1=b1, beta2=b2)
        params = {"w": np.ones(1)}
        opt.update(params, {"w": np.array([2.0])})
        raw = opt.m["w"][0] / np.sqrt(opt.v["w"][0])
        assert round(raw, 4) == raw_expected
        assert raw == pytest.approx((1 - b1) / math.sqrt(1 - b2), rel=1e-9)
        assert (1.0 - params["w"][0]) / 0.1 == pytest.approx(1.0, abs=1e-7)


def test_uncorrected_steps_over_time_with_a_constant_gradient():
    steps = 3000
    t = np.arange(1, steps + 1)
    results = {}
    for b1, b2 in [(0.9, 0.999), (0.9, 0.9999), (0.99, 0.9)]:
        opt = Adam(learning_rate=0.1, beta1=b1, beta2=b2)
        params = {"w": np.zeros(1)}
        raws, moves = [], []
        for _ in range(steps):
            before = params["w"][0]
            opt.update(params, {"w": np.array([2.0])})
            raws.append(opt.m["w"][0] / np.sqrt(opt.v["w"][0]))
            moves.append(abs(params["w"][0] - before) / 0.1)
        raws_arr = np.array(raws)
        np.testing.assert_allclose(raws_arr, (1 - b1**t) / np.sqrt(1 - b2**t), rtol=1e-9)
        np.testing.assert_allclose(moves, 1.0, atol=1e-7)
        results[b1, b2] = raws_arr
    default = results[0.9, 0.999]
    assert round(default[0], 2) == 3.16 and round(default.max(), 2) == 6.57 and default.argmax() + 1 == 12
    assert round(default[99], 2) == 3.24 and round(default[999], 2) == 1.26
    assert np.flatnonzero(np.abs(default - 1) >= 0.1)[-1] + 2 == 1751
    assert round(results[0.9, 0.9999].max(), 1) == 20.7
    assert round(results[0.99, 0.9][0], 2) == 0.03


# ------------------------------------------------------------------------------------------ 1 ステップの大きさ
def _random_families(rng: np.random.Generator, steps: int, n: int) -> dict[str, np.ndarray]:
    sparse = rng.standard_normal((steps, n)) * (rng.random((steps, n)) < 0.05)
    sparse[0] = rng.standard_normal(n)  # some gradient at t = 1 (an all-zero coordinate would not move)
    growth = np.exp(rng.uniform(0.0, 0.15, n)) ** np.arange(steps)[:, None]
    return {
        "normal0": rng.standard_normal((steps, n)),
        "normal1": 1.0 + rng.standard_normal((steps, n)),
        "heavy": rng.standard_t(2, (steps, n)),
        "scale_jumps": rng.standard_normal((steps, n)) * 10.0 ** rng.integers(-3, 4, (steps, n)),
        "sparse": sparse,
        "growing": growth * (1 + 0.1 * rng.standard_normal((steps, n))),
        "flipping": (-1.0) ** np.arange(steps)[:, None] * rng.lognormal(0, 1, (steps, n)),
    }


@pytest.mark.parametrize(
    "beta1, beta2",
    [
        (0.9, 0.999),
        (0.0, 0.999),
        (0.5, 0.9),
        (0.9, 0.99),
        (0.99, 0.999),
        (0.99, 0.9),
        (0.95, 0.9),
        (0.9, 0.9),
    ],
)
def test_step_bound_holds_for_every_random_sequence(beta1, beta2):
    """|Δw|/η ≤ R_t on seven random families; for β₁ = β₂ that is ≤ 1 (η)."""
    rng = np.random.default_rng(11)
    steps, n = 120, 300
    R = np.array([bound(s, beta1, beta2) for s in range(1, steps + 1)])
    assert R[0] == 1.0 and np.all(R >= 1 - 1e-12)
    for name, grads in _random_families(rng, steps, n).items():
        ratios = step_over_eta(grads, beta1, beta2, theta=1e-12)
        assert np.all(ratios <= R[:, None] * (1 + 1e-9)), (name, float((ratios / R[:, None]).max()))
        assert np.all(ratios[0] < 1.0), name  # the first step is below eta, whatever the gradient
        if beta1 == beta2:
            assert ratios.max() <= 1.0 + 1e-12, name
    if beta1 != beta2:
        assert R[1] > 1.0


@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.999), (0.0, 0.999), (0.9, 0.99), (0.5, 0.9), (0.99, 0.9)])
def test_growing_gradients_reach_the_bound(beta1, beta2):
    """g_s = (β₁/β₂)^(T − s) for s ≤ T reaches R_T at step T (for β₁ = 0: one gradient after zeros)."""
    targets = np.array([1, 2, 3, 5, 10, 30, 60])
    s = np.arange(1, targets.max() + 1)[:, None]
    grads = np.where(s <= targets, (beta1 / beta2) ** np.maximum(targets - s, 0), 0.0)
    got = step_over_eta(grads, beta1, beta2, theta=1e-12)[targets - 1, np.arange(len(targets))]
    np.testing.assert_allclose(got, [bound(T, beta1, beta2) for T in targets], rtol=1e-6)


def test_bound_limits():
    r_inf = (1 - 0.9) / math.sqrt((1 - 0.999) * (1 - 0.9**2 / 0.999))
    assert round(r_inf, 2) == 7.27
    values = [bound(t) for t in (1, 10, 100, 300, 1000, 20000)]
    assert values == sorted(values) and values[-1] < r_inf < values[-1] + 1e-3
    assert round(bound(300), 2) == 3.70
    assert bound(300, 0.99, 0.9) > 1e4 and bound(600, 0.99, 0.9) > 1e3 * bound(
        300, 0.99, 0.9
    )  # β₁² > β₂: grows
    assert bound(20000, 0.9, 0.81) / bound(5000, 0.9, 0.81) == pytest.approx(
        2.0, rel=1e-3
    )  # β₁² = β₂: like √t
    assert all(bound(t, 0.9, 0.9) == pytest.approx(1.0) for t in (1, 10, 1000))
    assert round((0.999 / 0.9 - 1) * 100) == 11  # the growth per step that reaches the bound


def test_constant_gradients_move_less_than_eta():
    rng = np.random.default_rng(3)
    for beta1, beta2 in [(0.9, 0.999), (0.0, 0.9), (0.99, 0.9), (0.5, 0.9999)]:
        g = rng.choice([-1, 1], 50) * 10.0 ** rng.uniform(-6, 3, 50)
        ratios = step_over_eta(np.tile(g, (200, 1)), beta1, beta2)
        np.testing.assert_allclose(
            ratios, np.broadcast_to(np.abs(g) / (np.abs(g) + 1e-8), ratios.shape), rtol=1e-9
        )
        assert np.all(ratios < 1.0)


def test_the_chapters_random_statistics():
    rng = np.random.default_rng(0)
    steps, n = 300, 2000
    families = {
        "normal0": rng.standard_normal((steps, n)),
        "normal1": 1.0 + rng.standard_normal((steps, n)),
        "heavy": rng.standard_t(3, (steps, n)),
    }
    R = np.array([bound(s) for s in range(1, steps + 1)])
    stats = {}
    for name, grads in families.items():
        ratios = step_over_eta(grads)
        assert np.all(ratios <= R[:, None] * (1 + 1e-9))
        assert np.all((ratios[0] > 0.975) & (ratios[0] < 1.0))
        stats[name] = (ratios.mean(), np.mean(ratios > 1), ratios.max())
    assert (
        round(stats["normal0"][0], 2) == 0.20
        and stats["normal0"][1] < 1e-3
        and round(stats["normal0"][2], 2) == 1.04
    )
    assert round(stats["normal1"][0], 2) == 0.71 and abs(stats["normal1"][0] - 2**-0.5) < 0.01
    assert round(stats["normal1"][1], 3) == 0.025 and round(stats["normal1"][2], 2) == 1.36
    assert stats["heavy"][1] < 1e-3 and round(stats["heavy"][2], 2) == 1.62


# ------------------------------------------------------------------------------------------ 鞍点
def test_sgd_hesitates_at_the_saddle_and_adam_leaves():
    sgd = run(SGD(learning_rate=0.1), SADDLE, steps=150)
    adam = run(Adam(learning_rate=0.1), SADDLE, steps=150)
    assert leave_step(sgd) == 67 and sgd.steps_to() == 101
    assert leave_step(adam) == 6 and adam.steps_to() == 130
    assert np.linalg.norm(sgd.path[30]) < 0.05 and np.linalg.norm(adam.path[30]) > 0.9
    assert sgd.path[1, 1] - sgd.path[0, 1] == pytest.approx(1e-4, rel=1e-5)
    assert adam.path[1, 1] - adam.path[0, 1] == pytest.approx(0.1, rel=1e-4)
    assert round(math.log(500) / math.log(1.1), 1) == 65.2


def test_escape_time_depends_on_the_start_for_sgd_only():
    y0s = (1e-2, 1e-3, 1e-6)
    table = {}
    for name, make in [("sgd01", lambda: SGD(0.1)), ("sgd05", lambda: SGD(0.5)), ("adam", lambda: Adam(0.1))]:
        for y0 in y0s:
            traj = run(make(), SADDLE, start=[1.0, y0], steps=400)
            table[name, y0] = (leave_step(traj), traj.steps_to())
    assert [table["sgd01", y0][0] for y0 in y0s] == [43, 67, 139]
    assert [table["sgd05", y0] for y0 in y0s] == [(10, 14), (16, 20), (33, 37)]
    assert [table["adam", y0] for y0 in y0s] == [(6, 123), (6, 130), (6, 130)]


def test_slider_guide_claims():
    default = adam_on_saddle()
    assert default.steps_to() == 130
    ratios = step_ratios(default, 0.1)
    assert np.all(ratios[:11] > 0.94) and ratios[-1] < 0.01 and ratios.max() <= 1.0
    slow_sgd = run(SGD(learning_rate=0.01), SADDLE, steps=150)
    assert not slow_sgd.converged and np.abs(slow_sgd.path[:, 1]).max() < 0.01
    slow_adam = adam_on_saddle(eta=0.01)
    assert leave_step(slow_adam) is not None and not slow_adam.converged
    assert adam_on_saddle(beta1=0.5).steps_to() == 23
    no_momentum = adam_on_saddle(beta1=0.0)
    ratios0 = step_ratios(no_momentum, 0.1)
    assert no_momentum.steps_to() == 33 and round(ratios0.max(), 2) == 1.61 and ratios0.argmax() + 1 == 4
    gy = np.abs(SADDLE.grad(no_momentum.path[:5].T)[1])  # the y-gradient grows while Adam leaves the saddle
    assert np.all(np.diff(gy) > 0) and round(gy[0], 3) == 0.001 and round(gy[-1], 2) == 0.38
    fast_forget = adam_on_saddle(beta2=0.9)
    assert not fast_forget.converged and not fast_forget.diverged and fast_forget.distances()[-1] < 0.01
    for eta in ETA_GRID:
        heavy = adam_on_saddle(beta1=0.99, eta=eta)
        assert not heavy.converged and not heavy.diverged and heavy.distances()[-1] > 0.04


def test_caveat_numbers():
    """注意点: tuned SGD and β₁ = 0.5 beat the default Adam on the saddle."""
    assert run(SGD(learning_rate=0.5), SADDLE, steps=150).steps_to() == 20
    assert adam_on_saddle(beta1=0.5).steps_to() == 23 < adam_on_saddle().steps_to() == 130


def test_theta_caps_the_normalisation():
    """注意点: the first step is η|g|/(|g| + θ) — 0.9999 η, η/2, η/101 for g = 10⁻⁴, 10⁻⁸, 10⁻¹⁰."""
    steps = []
    for g in (1e-4, 1e-8, 1e-10):
        params = {"w": np.zeros(1)}
        Adam(learning_rate=0.1).update(params, {"w": np.array([g])})
        steps.append(abs(params["w"][0]) / 0.1)
    np.testing.assert_allclose(steps, [1e-4 / (1e-4 + 1e-8), 0.5, 1 / 101], rtol=1e-9)
    assert [f"{x:.4f}" for x in steps] == ["0.9999", "0.5000", "0.0099"]


def test_quiz_question_1_numbers():
    """確認問題 1: ∇E = (4, −0.01) moves each coordinate by η (opposite to the gradient); uncorrected 3.16 η."""
    opt = Adam(learning_rate=0.1)
    params = {"w": np.zeros(2)}
    opt.update(params, {"w": np.array([4.0, -0.01])})
    np.testing.assert_allclose(params["w"], [-0.1, 0.1], rtol=0, atol=1e-6)
    raw = opt.m["w"] / np.sqrt(opt.v["w"])
    np.testing.assert_allclose(raw, [3.1623, -3.1623], rtol=0, atol=1e-4)


# ------------------------------------------------------------------------------------------ helpers
def test_near_one_grid():
    assert near_one_grid(0.9, 0.9999, 1) == (0.9, 0.99, 0.999, 0.9999)
    grid = near_one_grid(0.9, 0.9999, 20)
    assert len(grid) == 61 and grid[0] == 0.9 and grid[-1] == 0.9999
    gaps = np.diff(np.log10(1 - np.array(grid)))
    np.testing.assert_allclose(gaps, -0.05, atol=1e-6)
    with pytest.raises(ValueError):
        near_one_grid(0.99, 0.9, 10)
    with pytest.raises(ValueError):
        near_one_grid(0.9, 1.0, 10)


def test_thin_path_drops_only_points_on_the_same_pixel():
    pts = np.array([[0.0, 0.0], [0.001, 0.0], [0.5, 0.5], [0.5005, 0.5], [0.5006, 0.5001], [1.0, 1.0]])
    thinned = thin_path(pts, (1.0, 1.0), min_move=0.004)
    np.testing.assert_array_equal(thinned, pts[[0, 2, 5]])
    np.testing.assert_array_equal(thin_path(pts[:2], (1.0, 1.0)), pts[:2])
    last_kept = thin_path(np.array([[0.0, 0.0], [0.1, 0.0], [0.1001, 0.0]]), (1.0, 1.0))
    assert len(last_kept) == 3  # the last point is always kept


def test_simplify_curve_stays_within_tolerance():
    x = np.linspace(0, 10, 500)
    y = np.sin(x) + 0.3 * np.sin(7 * x)
    curve = np.column_stack([x, y])
    simple = simplify_curve(curve, (10.0, 3.0), tolerance=0.002)
    assert len(simple) < len(curve) / 3
    np.testing.assert_array_equal(simple[[0, -1]], curve[[0, -1]])
    # every dropped point lies within the tolerance of the segment that replaces it (in axes fractions)
    unit = curve / [10.0, 3.0]
    kept = [int(np.flatnonzero(x == px)[0]) for px in simple[:, 0]]
    for i, j in zip(kept, kept[1:], strict=False):
        a, b = unit[i], unit[j]
        chord = (b - a) / np.hypot(*(b - a))
        inner = unit[i + 1 : j] - a
        assert np.all(np.abs(inner[:, 0] * chord[1] - inner[:, 1] * chord[0]) <= 0.002 + 1e-12)
    line = np.column_stack([x, 2 * x])
    assert len(simplify_curve(line, (10.0, 20.0))) == 2


def test_step_ratios_and_leave_step():
    traj = run(Adam(learning_rate=0.1), SADDLE, steps=8)
    ratios = step_ratios(traj, 0.1)
    assert ratios.shape == (8,) and ratios[0] == pytest.approx(1.0, abs=1e-6)
    assert leave_step(traj) == 6 and leave_step(traj, threshold=2.0) is None
    assert step_ratios(run(Adam(learning_rate=0.1), SADDLE, steps=0), 0.1).size == 0


# ------------------------------------------------------------------------------------------ the explorer
@pytest.fixture(scope="module")
def explorer():
    return explore_adam()


@pytest.fixture(scope="module")
def static_spec(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or font warnings in any frame
        page = explorer.to_html()
    return page, static_payload(page)


def _frame(spec: dict, beta1: float, beta2: float, eta: float) -> dict:
    i, j, k = BETA1_GRID.index(beta1), BETA2_GRID.index(beta2), ETA_GRID.index(eta)
    return spec["frames"][(i * len(BETA2_GRID) + j) * len(ETA_GRID) + k]


def test_slider_grids(explorer):
    b1, b2, eta = explorer.sliders
    assert (b1.name, b2.name, eta.name) == ("beta1", "beta2", "eta")
    assert b1.values[0] == 0.0 and b1.values[-1] == 0.99
    assert b2.values == (0.9, 0.99, 0.999, 0.9999) and isinstance(b2, NearOneSlider)
    assert eta.log and eta.values[0] == 0.01 and eta.values[-1] == 0.5
    assert (b1.value, b2.value, eta.value) == (0.9, 0.999, 0.1)


def test_static_page_weight_and_frames(static_spec):
    page, spec = static_spec
    assert len(spec["frames"]) == len(BETA1_GRID) * len(BETA2_GRID) * len(ETA_GRID) <= 150
    assert len(page.encode()) < 400_000
    assert "http://" not in page and "https://" not in page and "<script src" not in page
    assert page.count("data:image/png;base64,") == 1
    assert [s["labels"] for s in spec["sliders"]][1] == ["0.9", "0.99", "0.999", "0.9999"]


def test_static_frames_follow_each_slider(static_spec):
    _, spec = static_spec
    first = _frame(spec, 0.9, 0.999, 0.1)
    assert first["s"] == "Adam: 130 ステップで収束（最大の一歩 1.00 η）／SGD: 101 ステップで収束"
    assert first["a"][3][2] == "Adam: 130 ステップで収束" and first["a"][4][2] == "SGD: 101 ステップで収束"
    # each slider changes Adam's path (artist 1); only η changes SGD's (artist 0)
    assert len({_frame(spec, b, 0.999, 0.1)["a"][1] for b in BETA1_GRID}) == len(BETA1_GRID)
    assert len({_frame(spec, 0.9, b, 0.1)["a"][1] for b in BETA2_GRID}) == len(BETA2_GRID)
    assert len({_frame(spec, 0.9, 0.999, e)["a"][1] for e in ETA_GRID}) == len(ETA_GRID)
    assert len({_frame(spec, b, 0.999, 0.1)["a"][0] for b in BETA1_GRID}) == 1
    assert len({_frame(spec, 0.9, 0.999, e)["a"][0] for e in ETA_GRID}) == len(ETA_GRID)
    assert _frame(spec, 0.5, 0.999, 0.1)["a"][3][2] == "Adam: 23 ステップで収束"
    assert _frame(spec, 0.0, 0.999, 0.1)["s"].startswith("Adam: 33 ステップで収束（最大の一歩 1.61 η）")
    assert _frame(spec, 0.9, 0.9, 0.1)["a"][3][2] == "Adam: 未収束"
    assert _frame(spec, 0.9, 0.999, 0.01)["a"][4][2] == "SGD: 未収束"
    assert not any("発散" in f["s"] for f in spec["frames"])  # on this grid nothing diverges


def test_every_static_path_stays_in_the_plot_window(explorer, static_spec):
    """No run of the grid leaves the drawn window (nothing that should be seen is clipped)."""
    (x0, x1), (y0, y1) = SADDLE.xlim, SADDLE.ylim
    for beta1 in BETA1_GRID:
        for beta2 in BETA2_GRID:
            for eta in ETA_GRID:
                for traj in (
                    adam_on_saddle(beta1, beta2, eta),
                    run(SGD(learning_rate=eta), SADDLE, steps=150),
                ):
                    x, y = traj.path.T
                    assert np.all((x0 < x) & (x < x1) & (y0 < y) & (y < y1)), (beta1, beta2, eta)
    ax = explorer.figure.axes[0]
    left, bottom, right, top = ax.bbox.extents
    height = explorer.figure.bbox.height
    for frame in static_spec[1]["frames"]:
        for d in frame["a"][:2]:
            xy = np.array(re.findall(r"[ML](-?[\d.]+) (-?[\d.]+)", d), dtype=float)
            assert len(xy) >= 2
            assert np.all((xy[:, 0] > left - 1) & (xy[:, 0] < right + 1))
            assert np.all((height - xy[:, 1] > bottom - 1) & (height - xy[:, 1] < top + 1))


def test_explorer_labels_divergence():
    ex = explore_adam(beta1s=(0.0, 0.9), beta2s=(0.9, 0.999), etas=(0.1, 2.5), steps=40)
    status = ex.apply(eta=2.5)
    assert "SGD: 発散" in status
    sgd_result = ex.artists[4]
    assert sgd_result.get_text() == "SGD: 発散" and sgd_result.get_color() == "#C00000"
    ex.apply(eta=0.1)
    assert sgd_result.get_color() == "black"


def test_live_widget_covers_the_same_range(explorer):
    box = explorer.widget()
    b1, b2, eta, image, status = box.children
    assert b1.min == pytest.approx(0.0) and b1.max == pytest.approx(0.99) and b1.step == pytest.approx(0.01)
    values = [v for _, v in b2.options]
    assert values[0] == 0.9 and values[-1] == 0.9999 and set(BETA2_GRID) <= set(values)
    np.testing.assert_allclose(np.diff(np.log10(1 - np.array(values))), -0.05, atol=1e-6)
    assert b2.value == 0.999 and b2.description == "β₂（v の減衰率）"
    assert eta.min == pytest.approx(math.log10(0.01)) and eta.max == pytest.approx(math.log10(0.5))
    before = image.value
    b2.value = 0.9
    assert image.value != before and "Adam: 未収束" in status.value
    b2.value = 0.999
    b1.value = 0.5
    assert "Adam: 23 ステップで収束" in status.value
    b1.value = 0.9
    eta.value = 0.01
    assert "SGD: 未収束" in status.value
