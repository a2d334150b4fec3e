"""Chapter 2 (モメンタム): every number and verdict of the prose, the μ/η explorer, and the quoted lines.

Each test repeats a claim of ``chapters/02_momentum.ipynb`` with the same settings, computed with lropt.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from lropt.explorers.momentum import LEARNING_RATE_GRID, MOMENTUM_GRID, explore_momentum, visible_part
from lropt.interactive import static_payload
from lropt.optimizers import SGD, Momentum
from lropt.schedules import StepDecay, sample
from lropt.surfaces import DoubleWell, Quadratic1D, ZeroTsuku
from lropt.trajectory import run

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "chapters" / "02_momentum.ipynb"
SURFACE = ZeroTsuku()
SEED_LINES = [
    "self.v[key] = self.momentum * self.v[key] - self.learning_rate * grad[key]",
    "params[key] += self.v[key]",
]


def _cells() -> list[dict]:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def _markdown() -> str:
    return "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "markdown")


def _momentum(eta: float, mu: float) -> Momentum:
    return Momentum(learning_rate=eta, momentum=mu)


# ------------------------------------------------------------------------------------------ the notebook
def test_chapter_quotes_exactly_the_seed_lines_of_the_momentum_docstring():
    blocks = re.findall(r"```python\n(.*?)```", _markdown(), flags=re.S)
    assert [line.strip() for line in blocks[0].splitlines() if line.strip()] == SEED_LINES
    doc_lines = {line.strip() for line in (Momentum.__doc__ or "").splitlines()}
    for line in SEED_LINES:
        assert line in doc_lines, f"Momentum's docstring no longer holds {line!r}"


def test_chapter_sections_in_the_house_order():
    headings = re.findall(r"^##+ (.+)$", _markdown(), flags=re.M)
    order = ["直感", "数式", "実装", "可視化とスライダー", "注意点", "まとめ", "確認問題"]
    positions = [next(i for i, h in enumerate(headings) if h.startswith(name)) for name in order]
    assert positions == sorted(positions), headings


def test_chapter_cells_hidden_claims_and_line_length():
    cells = _cells()
    hidden = [c for c in cells if "remove-cell" in c["metadata"].get("tags", [])]
    assert len(hidden) >= 8
    for c in hidden:
        assert c["metadata"]["jupyter"] == {"source_hidden": True}
        assert "assert" in "".join(c["source"])
    for c in cells:
        if c["cell_type"] == "code":
            for line in "".join(c["source"]).splitlines():
                assert len(line) <= 80 or "remove-cell" in c["metadata"].get("tags", []), line
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "from lropt.explorers.momentum import explore_momentum" in code
    assert re.search(r"^explore_momentum\(\)$", code, flags=re.M)
    assert "class " not in code


def test_quiz_answers_are_dropdowns():
    text = _markdown()
    assert text.count(":::{admonition} 解答\n:class: dropdown") >= 2


# ------------------------------------------------------------------------------------------ 直感
def test_intuition_figure_numbers():
    sgd = run(SGD(learning_rate=0.9), SURFACE, steps=30)
    mom = run(_momentum(0.9, 0.5), SURFACE, steps=30)
    sgd_v, mom_v = np.diff(sgd.path, axis=0), np.diff(mom.path, axis=0)
    signs = np.sign(sgd.path[:30, 1])
    assert np.all(signs[1:] == -signs[:-1])
    assert not sgd.converged and round(float(np.linalg.norm(sgd.final)), 2) == 0.41
    assert mom.steps_to() == 29
    assert run(SGD(learning_rate=0.9), SURFACE, steps=300).steps_to() == 94
    assert round(float(np.abs(sgd_v[:, 1]).sum()), 1) == 18.0
    assert round(float(np.abs(mom_v[:, 1]).sum()), 1) == 9.0
    assert round(float(sgd_v[:, 0].max()), 2) == 0.63 and round(float(mom_v[:, 0].max()), 2) == 0.94
    np.testing.assert_allclose(sgd_v[:3, 1], [-3.6, 2.88, -2.304])


# ------------------------------------------------------------------------------------------ 数式・実装
def test_two_steps_by_hand_and_velocity_is_the_change_of_w():
    opt = _momentum(0.1, 0.9)
    params = {"w": np.array([3.0])}
    expected = [(-0.2, 2.8), (-0.38, 2.42)]
    for v, w in expected:
        before = params["w"].copy()
        opt.update(params, {"w": np.array([2.0])})
        np.testing.assert_allclose(opt.v["w"], v, rtol=1e-12)
        np.testing.assert_allclose(params["w"], w, rtol=1e-12)
        np.testing.assert_allclose(params["w"] - before, opt.v["w"], rtol=1e-12)


def test_trajectory_steps_are_the_velocity():
    """V_{t-1} = w^(t) − w^(t−1): the seed's wording, along a real run."""
    opt = _momentum(0.3, 0.8)
    params = {"w": SURFACE.start}
    previous = params["w"].copy()
    for _ in range(20):
        current = params["w"].copy()
        grad = SURFACE.grad(current)
        expected = current - 0.3 * grad + 0.8 * (current - previous)
        opt.update(params, {"w": grad})
        np.testing.assert_allclose(params["w"], expected, rtol=1e-12, atol=1e-14)
        previous = current


@pytest.mark.parametrize(("mu", "eta"), [(0.9, 0.1), (0.5, 0.3), (0.99, 0.01)])
def test_velocity_limits_for_constant_and_alternating_gradients(mu, eta):
    steps = 2000 if mu == 0.99 else 200
    for alternating in (False, True):
        opt = _momentum(eta, mu)
        params = {"w": np.zeros(1)}
        history = []
        for t in range(steps):
            g = (-1.0) ** t if alternating else 1.0
            opt.update(params, {"w": np.array([g])})
            history.append(opt.v["w"][0])
        if alternating:
            assert np.isclose(abs(history[-1]), eta / (1 + mu), rtol=1e-6)
            assert np.all(np.sign(history[1:]) == -np.sign(history[:-1]))
        else:
            assert np.isclose(history[-1], -eta / (1 - mu), rtol=1e-6)


def test_velocity_limits_as_in_the_chapter():
    mu, eta = 0.9, 0.1
    const, alt = _momentum(eta, mu), _momentum(eta, mu)
    p, q = {"w": np.zeros(1)}, {"w": np.zeros(1)}
    for t in range(60):
        const.update(p, {"w": np.array([1.0])})
        alt.update(q, {"w": np.array([(-1.0) ** t])})
    assert np.isclose(const.v["w"][0], -1.0, rtol=1e-2)
    assert np.isclose(abs(alt.v["w"][0]), 0.1 / 1.9, rtol=1e-2)


# ------------------------------------------------------------------------------------------ 収束の条件
def _outcome(eta: float, mu: float, lam: float, steps: int = 500) -> str:
    traj = run(_momentum(eta, mu), Quadratic1D(curvature=lam), start=[4.0], steps=steps, radius=1e4)
    return "converged" if traj.converged else "diverged" if traj.diverged else "neither"


def test_condition_on_random_settings_away_from_the_boundary():
    """0 < ηλ < 2 + 2μ ⇔ the library's run converges (random η, μ, λ; a margin around the boundary)."""
    rng = np.random.default_rng(2024)
    checked = {"converged": 0, "diverged": 0}
    while sum(checked.values()) < 120:
        mu = float(rng.uniform(0.0, 0.9))
        lam = float(10.0 ** rng.uniform(-1.0, 1.0))
        eta_lam = float(rng.uniform(0.15, 4.5))
        if abs(eta_lam - (2 + 2 * mu)) < 0.1:
            continue
        result = _outcome(eta_lam / lam, mu, lam)
        expected = "converged" if eta_lam < 2 + 2 * mu else "diverged"
        assert result == expected, (eta_lam / lam, mu, lam, result)
        checked[result] += 1
    assert min(checked.values()) > 30  # both sides were tested


def test_condition_grid_as_in_the_chapter():
    for mu in np.round(np.arange(10) * 0.1, 1):
        for el in np.round(np.arange(1, 17) * 0.25, 2):
            result = _outcome(float(el), float(mu), 1.0, steps=300)
            if np.isclose(el, 2 + 2 * mu):
                assert result == "neither", (el, mu)
            else:
                assert result == ("converged" if el < 2 + 2 * mu else "diverged"), (el, mu)


@pytest.mark.parametrize("mu", [0.0, 0.2, 0.5, 0.9])
def test_on_the_boundary_the_swing_goes_on(mu):
    """ηλ = 2 + 2μ: a root z = −1, so the −1 mode keeps a constant amplitude (2 + 4μ/(1−μ)) · x₀ / 2."""
    traj = run(_momentum(2 + 2 * mu, mu), Quadratic1D(), start=[4.0], steps=400, radius=1e4)
    assert not traj.converged and not traj.diverged
    amplitude = 4.0 + 8.0 * mu / (1 - mu)
    np.testing.assert_allclose(np.abs(traj.path[-5:, 0]), amplitude, rtol=1e-6)


def test_transient_swing_near_the_boundary():
    traj = run(_momentum(3.5, 0.8), Quadratic1D(), start=[4.0], steps=300, radius=1e4)
    assert traj.converged
    assert run(_momentum(3.5, 0.8), Quadratic1D(), start=[4.0], steps=300).diverged  # default radius
    swings = [
        np.abs(run(_momentum(el, mu), Quadratic1D(), start=[4.0], steps=300, radius=1e4).path).max()
        for mu in np.round(np.arange(10) * 0.1, 1)
        for el in np.round(np.arange(1, 17) * 0.25, 2)
        if el < 2 + 2 * mu - 1e-9
    ]
    assert max(swings) > 6 * 4.0


# ------------------------------------------------------------------------------------------ 最適な (η, μ)
@pytest.fixture(scope="module")
def heat_map():
    etas = np.round(np.arange(1, 21) * 0.1, 1)
    mus = np.round(np.arange(10) * 0.1, 1)
    steps = np.full((len(mus), len(etas)), np.nan)
    diverged = np.zeros(steps.shape, dtype=bool)
    for i, mu in enumerate(mus):
        for j, eta in enumerate(etas):
            traj = run(_momentum(float(eta), float(mu)), SURFACE, steps=300, radius=1e4)
            diverged[i, j] = traj.diverged
            if traj.converged:
                steps[i, j] = traj.steps_to()
    return etas, mus, steps, diverged


def test_heavy_ball_theory_values():
    lam_min, lam_max = SURFACE.hessian_eigenvalues
    kappa = lam_max / lam_min
    mu_star = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    eta_star = 4 / (np.sqrt(lam_max) + np.sqrt(lam_min)) ** 2
    assert round(mu_star, 2) == 0.40 and round(eta_star, 2) == 1.34
    assert round(np.sqrt(mu_star), 2) == 0.63 and round((kappa - 1) / (kappa + 1), 2) == 0.90
    assert run(_momentum(eta_star, mu_star), SURFACE, steps=300).steps_to() == 26
    # at (η*, μ*) both extreme eigen-directions have |z| = √μ*: the roots of z² − (1+μ−ηλ)z + μ
    for lam in (lam_min, lam_max):
        roots = np.roots([1.0, -(1 + mu_star - eta_star * lam), mu_star])
        np.testing.assert_allclose(np.abs(roots), np.sqrt(mu_star), rtol=1e-6)


def test_heat_map_best_point_and_sgd(heat_map):
    etas, mus, steps, diverged = heat_map
    i, j = np.unravel_index(np.nanargmin(steps), steps.shape)
    assert (etas[j], mus[i], int(steps[i, j])) == (1.2, 0.5, 24)
    assert np.sum(steps == 24) == 1
    sgd_best = run(SGD(learning_rate=0.95), SURFACE, steps=300).steps_to()
    assert sgd_best == 89 and 24 * 3 < sgd_best
    assert run(SGD(learning_rate=1.2), SURFACE, steps=300).diverged  # SGD cannot use η = 1.2
    row09 = steps[list(mus).index(0.9)]
    assert np.nanmin(row09) >= 150 and np.nanmin(row09) > sgd_best
    assert np.nanmin(steps[0]) == 94


def test_heat_map_divergence_follows_the_condition(heat_map):
    etas, mus, steps, diverged = heat_map
    for i, mu in enumerate(mus):
        for j, eta in enumerate(etas):
            assert diverged[i, j] == (eta > 1 + mu + 1e-9), (eta, mu)
            if np.isclose(eta, 1 + mu):
                assert np.isnan(steps[i, j]) and not diverged[i, j]
            elif eta < 1 + mu and mu <= 0.8 and eta >= 0.4:
                assert not np.isnan(steps[i, j]), (eta, mu)


# ------------------------------------------------------------------------------------------ スライダー
def _both(mu: float, eta: float):
    return run(_momentum(eta, mu), SURFACE, steps=100), run(SGD(learning_rate=eta), SURFACE, steps=100)


def test_slider_guide_claims():
    m, s = _both(0.0, 0.6)
    np.testing.assert_array_equal(m.path, s.path)
    m, s = _both(0.5, 0.9)
    assert m.steps_to() == 29 and s.steps_to() == 94
    m, s = _both(0.5, 1.2)
    assert m.steps_to() == 24 and s.diverged
    m, s = _both(0.5, 1.5)
    assert not m.converged and not m.diverged
    assert np.isclose(np.abs(m.path[-10:, 1]).min(), 6.0, rtol=1e-3)
    for mu in (0.9, 0.95, 0.99):
        for eta in LEARNING_RATE_GRID:
            m = _both(mu, eta)[0]
            assert not m.converged and not m.diverged, (mu, eta)
            if mu == 0.99:
                assert np.linalg.norm(m.final) > 0.5, eta


def test_explorer_corners_render_without_warnings(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for mu in (0.0, 0.99):
            for eta in (0.05, 1.5):
                png = explorer.render_png(mu=mu, eta=eta)
                assert png.startswith(b"\x89PNG")
        assert "発散" in explorer.apply(mu=0.0, eta=1.5)


@pytest.fixture(scope="module")
def explorer():
    return explore_momentum()


@pytest.fixture(scope="module")
def static_spec(explorer):
    page = explorer.to_html()
    return page, static_payload(page)


def test_explorer_grids_and_ranges(explorer):
    mu_slider, eta_slider = explorer.sliders
    assert mu_slider.values == MOMENTUM_GRID and eta_slider.values == LEARNING_RATE_GRID
    assert mu_slider.values[0] == 0.0 and mu_slider.values[-1] == 0.99
    assert len(mu_slider.values) * len(eta_slider.values) <= 100
    assert {0.9, 1.2, 1.5} <= set(eta_slider.values)  # SGD's bound 1 and momentum's 1 + μ are crossed
    mu_w, eta_w, image, status = explorer.widget().children
    assert (mu_w.min, mu_w.max) == pytest.approx((0.0, 0.99))
    assert (eta_w.min, eta_w.max) == pytest.approx((0.05, 1.5))
    assert mu_w.step == pytest.approx(0.01) and eta_w.step == pytest.approx(0.01)
    assert mu_w.description == "μ（慣性）" and eta_w.description == "η（学習率）"


def test_live_widget_redraws(explorer):
    mu_w, eta_w, image, status = explorer.widget().children
    assert "モメンタム: 収束（29 ステップ" in status.value and "SGD: 収束（94 ステップ" in status.value
    before = image.value
    eta_w.value = 1.2
    assert image.value != before
    assert "モメンタム: 収束（24 ステップ" in status.value and "SGD: 発散" in status.value
    mu_w.value = 0.1
    assert "モメンタム: 発散" in status.value
    mu_w.value = 0.5
    eta_w.value = 0.9


def test_static_frames(explorer, static_spec):
    page, spec = static_spec
    frames = spec["frames"]
    assert len(frames) == len(MOMENTUM_GRID) * len(LEARNING_RATE_GRID)

    def frame(mu: float, eta: float) -> dict:
        return frames[MOMENTUM_GRID.index(mu) * len(LEARNING_RATE_GRID) + LEARNING_RATE_GRID.index(eta)]

    sgd_i, mom_i, label_i, mom_res_i, sgd_res_i = range(5)
    assert "SGD: 発散" in frame(0.5, 1.2)["s"] and "24 ステップ" in frame(0.5, 1.2)["s"]
    assert frame(0.5, 1.2)["a"][sgd_res_i][2] == "SGD: 発散"
    assert frame(0.5, 1.2)["a"][sgd_res_i][3] == "#c00000"
    assert frame(0.5, 1.2)["a"][mom_res_i][2] == "モメンタム: 24 ステップで収束"
    assert frame(0.0, 1.5)["a"][mom_res_i][2] == "モメンタム: 発散"
    assert frame(0.0, 0.6)["a"][label_i][2] == "μ = 0, η = 0.6（SGD と同じ）"
    assert frame(0.0, 0.6)["a"][mom_i] == frame(0.0, 0.6)["a"][sgd_i]  # μ = 0 is SGD
    # every (μ, η) draws its own momentum path; SGD's path depends on η only
    assert len({f["a"][mom_i] for f in frames[len(LEARNING_RATE_GRID) :]}) == len(frames) - len(
        LEARNING_RATE_GRID
    )
    assert {frame(mu, 0.4)["a"][sgd_i] for mu in MOMENTUM_GRID} == {frame(0.0, 0.4)["a"][sgd_i]}
    for mu in MOMENTUM_GRID:
        for eta in LEARNING_RATE_GRID:
            status = frame(mu, eta)["s"]
            assert status.startswith(f"μ = {mu:.3g}, η = {eta:.3g}")
            assert ("SGD: 発散" in status) == (eta > 1)
            if eta < 1 + mu - 1e-9:
                assert "モメンタム: 発散" not in status, (mu, eta)
            elif eta > 1 + mu + 1e-9:
                assert "モメンタム: 発散" in status, (mu, eta)


def test_static_html_is_light_and_self_contained(static_spec):
    page, _ = static_spec
    assert len(page.encode()) < 300_000
    assert "http://" not in page and "https://" not in page and "<script src" not in page
    assert page.count("data:image/png;base64,") == 1


def test_static_html_is_deterministic():
    assert explore_momentum().to_html() == explore_momentum().to_html()


def test_visible_part_cuts_only_after_convergence():
    done = run(_momentum(1.2, 0.5), SURFACE, steps=100)
    assert visible_part(done) == 25
    assert np.all(done.distances()[visible_part(done) :] < 1e-3)
    slow = run(_momentum(0.05, 0.5), SURFACE, steps=100)
    assert visible_part(slow) == len(slow.path) == 101
    blown = run(SGD(learning_rate=1.5), SURFACE, steps=100)
    assert blown.diverged and visible_part(blown) == len(blown.path)


def test_explorer_on_another_surface():
    ex = explore_momentum(surface=DoubleWell(), steps=50, mus=(0.0, 0.9), etas=(0.02, 0.03), mu=0.9, eta=0.02)
    status = ex.apply(mu=0.9, eta=0.02)
    assert status.startswith("μ = 0.9, η = 0.02 — モメンタム: 未収束（50 ステップ後"), status
    assert "SGD: 未収束" in status
    assert len(ex.frames()) == 4


# ------------------------------------------------------------------------------------------ 二重井戸
def _crossings(traj, saddle_x: float) -> int:
    return int(np.count_nonzero(np.diff(np.sign(traj.path[:, 0] - saddle_x))))


def test_double_well_examples():
    well = DoubleWell(tilt=0.3)
    saddle_x = well.saddles[0][0]
    runs = {
        key: run(_momentum(*key), well, steps=400)
        for key in [(0.02, 0.0), (0.02, 0.5), (0.02, 0.9), (0.03, 0.9)]
    }
    for key in [(0.02, 0.0), (0.02, 0.5)]:
        assert runs[key].stuck_in_local_minimum and _crossings(runs[key], saddle_x) == 0
    assert runs[0.02, 0.9].converged and _crossings(runs[0.02, 0.9], saddle_x) == 1
    assert runs[0.03, 0.9].stuck_in_local_minimum and _crossings(runs[0.03, 0.9], saddle_x) == 2
    assert runs[0.02, 0.9].steps_to() == 144


def test_double_well_map():
    well = DoubleWell(tilt=0.3)
    etas = [0.02, 0.025, 0.03, 0.035, 0.04, 0.05]

    def where(mu: float) -> list[int]:
        out = []
        for eta in etas:
            traj = run(_momentum(eta, mu), well, steps=400)
            out.append(0 if traj.stuck_in_local_minimum else 1 if traj.converged else 2)
        return out

    assert where(0.0) == [0] * 6
    assert where(0.5) == [0, 0, 0, 0, 0, 1]
    assert where(0.8) == [1] * 6
    for mu in (0.85, 0.9, 0.95):
        assert set(where(mu)) == {0, 1}, mu


# ------------------------------------------------------------------------------------------ 学習率の減衰
def _schedule_demo():
    mu, g, steps = 0.9, 1.0, 60
    eta_t = np.array(sample(StepDecay(0.1, drop=0.1, every=20), steps))
    opt = _momentum(eta_t[0], mu)
    params = {"w": np.zeros(1)}
    seed_steps = []
    for t in range(steps):
        opt.learning_rate = eta_t[t]
        opt.update(params, {"w": np.array([g])})
        seed_steps.append(-opt.v["w"][0])
    b = g * (1 - mu ** np.arange(1, steps + 1)) / (1 - mu)
    return mu, g, eta_t, np.array(seed_steps), eta_t * b, b


def test_seed_velocity_keeps_the_old_learning_rate():
    mu, g, eta_t, seed_steps, torch_steps, b = _schedule_demo()
    closed = np.array([g * sum(mu ** (t - s) * eta_t[s] for s in range(t + 1)) for t in range(len(eta_t))])
    np.testing.assert_allclose(seed_steps, closed, rtol=1e-12)
    np.testing.assert_allclose(seed_steps[:20], torch_steps[:20], rtol=1e-12)
    assert round(seed_steps[20], 2) == 0.80 and round(torch_steps[20], 3) == 0.089
    ratio = seed_steps / torch_steps
    assert round(ratio[20]) == 9 and round(ratio[30], 1) == 3.6 and round(ratio[39]) == 2
    assert ratio[40] > ratio[20]
    np.testing.assert_allclose(
        seed_steps[20] - torch_steps[20], mu * (eta_t[19] - eta_t[20]) * b[19], rtol=1e-12
    )


def test_rescaling_the_velocity_gives_pytorchs_form():
    mu, g, eta_t, _, torch_steps, _ = _schedule_demo()
    opt = _momentum(eta_t[0], mu)
    params = {"w": np.zeros(1)}
    rescaled = []
    for t in range(len(eta_t)):
        if t > 0 and eta_t[t] != eta_t[t - 1]:
            opt.v["w"] *= eta_t[t] / eta_t[t - 1]
        opt.learning_rate = eta_t[t]
        opt.update(params, {"w": np.array([g])})
        rescaled.append(-opt.v["w"][0])
    np.testing.assert_allclose(rescaled, torch_steps, rtol=1e-12)


def test_schedule_through_run_uses_the_seed_form():
    """``run(..., schedule=...)`` sets η before each step; the path follows the seed's recurrence."""
    schedule = StepDecay(0.5, drop=0.5, every=5)
    traj = run(_momentum(0.5, 0.6), SURFACE, steps=20, schedule=schedule)
    w, v = SURFACE.start, np.zeros(2)
    for t in range(20):
        v = 0.6 * v - schedule(t) * SURFACE.grad(w)
        w = w + v
        np.testing.assert_allclose(traj.path[t + 1], w, rtol=1e-12, atol=1e-14)
