"""Chapter 3 (AdaGrad): the claims of the prose, the quoted lines and the θ / η slider, on the chapter's settings."""

import inspect
import json
import re
from pathlib import Path

import numpy as np
import pytest

from lropt.explorers.adagrad import ETA_GRID, THETA_GRID, effective_rates, explore_adagrad
from lropt.interactive import static_payload
from lropt.optimizers import SGD, AdaGrad
from lropt.surfaces import Plateau, Saddle, ZeroTsuku
from lropt.trajectory import run

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "chapters" / "03_adagrad.ipynb"
SEED_LINES = (
    "self.h[key] += grad[key] * grad[key]",
    "params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)",
)


def _markdown() -> str:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.fixture(scope="module")
def surface():
    return ZeroTsuku()


# ------------------------------------------------------------------------------------------- 数式と実装
def test_the_chapter_quotes_the_seed_lines_of_adagrad():
    """The two ```python lines of the chapter are AdaGrad's own docstring lines (drift fails here)."""
    blocks = re.findall(r"```python\n(.*?)```", _markdown(), flags=re.S)
    quoted = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert quoted == list(SEED_LINES)
    doc_lines = {line.strip() for line in inspect.getsource(AdaGrad).splitlines()}
    for line in SEED_LINES:
        assert line in doc_lines, line


def test_the_seed_typo_and_zeros_like_are_explained():
    text = _markdown()
    assert "self.he" in text and "np.zeros_like" in text and "initial_h" in text


def test_two_hand_computed_steps():
    opt = AdaGrad(learning_rate=0.1)
    params = {"w": np.array([3.0, 3.0])}
    grad = {"w": np.array([2.0, 0.01])}
    opt.update(params, grad)
    np.testing.assert_allclose(params["w"], [2.9, 2.9], atol=2e-6)  # both move by eta
    opt.update(params, grad)
    np.testing.assert_allclose(opt.h["w"], [8.0, 2e-4])
    np.testing.assert_allclose(params["w"], 3.0 - 0.1 - 0.1 / np.sqrt(2), atol=2e-6)


def test_initial_h_theta_barely_changes_the_path(surface):
    code_form = run(AdaGrad(learning_rate=1.5, theta=1e-7), surface, steps=60)
    formula_form = run(AdaGrad(learning_rate=1.5, theta=1e-7, initial_h=1e-7), surface, steps=60)
    gap = np.abs(code_form.path - formula_form.path).max()
    assert 0 < gap < 1e-6


# ------------------------------------------------------------------------------------------- 直感
def test_first_steps_and_speed_on_zerotsuku(surface):
    sgd = run(SGD(learning_rate=0.95), surface, steps=300)
    ada = run(AdaGrad(learning_rate=1.5), surface, steps=300)
    np.testing.assert_allclose(sgd.path[1] - sgd.path[0], [0.665, -3.8])
    np.testing.assert_allclose(np.abs(ada.path[1] - ada.path[0]), [1.5, 1.5], atol=1e-6)
    assert ada.steps_to() == 69
    assert sgd.steps_to() == 89


# ------------------------------------------------------------------------------------------- 実効学習率
def test_effective_rates_are_the_optimizers_own(surface):
    opt = AdaGrad(learning_rate=1.5)
    traj = run(opt, surface, steps=60)
    rates = effective_rates(traj, surface, learning_rate=1.5, theta=opt.theta)
    assert rates.shape == (60, 2)
    # the last row uses the h the optimizer accumulated itself
    np.testing.assert_allclose(rates[-1], 1.5 / (np.sqrt(opt.h["w"]) + opt.theta), rtol=1e-12)
    # every step of the path is -rate * gradient
    grads = surface.grad(traj.path[:-1].T).T
    np.testing.assert_allclose(np.diff(traj.path, axis=0), -rates * grads, rtol=1e-9, atol=1e-15)
    # the chapter's numbers
    np.testing.assert_allclose(rates[0], [1.5 / 0.7, 1.5 / 4.0], rtol=1e-6)
    np.testing.assert_allclose(rates[-1], [1.18, 0.363], atol=5e-3)
    assert round(rates[-1, 0] / rates[-1, 1], 1) == 3.2
    assert np.all(np.diff(rates, axis=0) <= 0)


def test_effective_rates_with_initial_h(surface):
    opt = AdaGrad(learning_rate=0.5, theta=0.1, initial_h=2.0)
    traj = run(opt, surface, steps=10)
    rates = effective_rates(traj, surface, 0.5, 0.1, initial_h=2.0)
    np.testing.assert_allclose(rates[-1], 0.5 / (np.sqrt(opt.h["w"]) + 0.1), rtol=1e-12)
    assert effective_rates(run(opt, surface, steps=0), surface, 0.5, 0.1).shape == (0, 2)


@pytest.mark.parametrize("theta", THETA_GRID[::4])
def test_effective_rate_never_exceeds_eta_over_theta(surface, theta):
    traj = run(AdaGrad(learning_rate=1.5, theta=theta), surface, steps=40)
    assert np.all(effective_rates(traj, surface, 1.5, theta) <= 1.5 / theta)


# ------------------------------------------------------------------------------------------- θ
def test_tiny_theta_has_no_effect_and_theta_one_slows_down(surface):
    base = run(AdaGrad(learning_rate=1.5, theta=1e-8), surface, steps=40)
    for theta in (1e-7, 1e-6, 1e-5, 1e-4):
        other = run(AdaGrad(learning_rate=1.5, theta=theta), surface, steps=40)
        assert np.abs(other.path - base.path).max() < 1e-3
    # from 1e-2 on theta matters
    other = run(AdaGrad(learning_rate=1.5, theta=1e-2), surface, steps=40)
    assert np.abs(other.path - base.path).max() > 1e-2
    assert round(run(AdaGrad(learning_rate=1.5, theta=1.0), surface, steps=40).distances()[-1], 2) == 0.71
    assert round(run(AdaGrad(learning_rate=1.5, theta=1e-7), surface, steps=40).distances()[-1], 3) == 0.034


def test_no_divergence_on_the_slider_grid_and_larger_eta_is_faster(surface):
    for theta in THETA_GRID:
        for eta in ETA_GRID:
            assert not run(AdaGrad(learning_rate=eta, theta=theta), surface, steps=40).diverged
    final = [run(AdaGrad(learning_rate=e), surface, steps=40).distances()[-1] for e in ETA_GRID]
    assert all(a > b for a, b in zip(final, final[1:], strict=False))
    assert run(SGD(learning_rate=1.05), surface, steps=300).diverged


def test_large_theta_limit_is_sgd_with_eta_over_theta(surface):
    """θ → ∞ with η/θ fixed: AdaGrad's path tends to SGD's with rate η/θ (error ∝ 1/θ)."""
    near = np.array([-0.07, 0.02])
    assert np.abs(surface.grad(near)).max() <= 0.04 + 1e-12
    sgd = run(SGD(learning_rate=0.5), surface, start=near, steps=60)
    devs = []
    for theta in (1.0, 10.0, 100.0, 1000.0):
        ada = run(AdaGrad(learning_rate=0.5 * theta, theta=theta), surface, start=near, steps=60)
        devs.append(np.abs(ada.path - sgd.path).max() / np.linalg.norm(near))
    assert 0.005 < devs[0] < 0.015  # about 1 % at theta = 1, as the chapter says
    for a, b in zip(devs, devs[1:], strict=False):
        assert 8 < a / b < 12
    assert devs[-1] < 2e-5


def test_tiny_theta_near_the_minimum_jumps_out_then_converges(surface):
    near = np.array([-0.07, 0.02])
    traj = run(AdaGrad(learning_rate=0.5, theta=1e-7), surface, start=near, steps=60)
    d = traj.distances()
    assert round(d[0], 3) == 0.073 and round(d[1], 2) == 0.64
    assert traj.steps_to() == 5
    assert not run(SGD(learning_rate=0.5), surface, start=near, steps=60).converged


# ------------------------------------------------------------------------------------------- 停滞
def test_stall_on_the_plateau():
    """The setting chapter 4 (RMSProp) reuses: Plateau(), start (20, 2), eta = 0.5, 200 steps."""
    plateau = Plateau()
    np.testing.assert_allclose(plateau.start, [20.0, 2.0])
    sgd = run(SGD(learning_rate=0.5), plateau, steps=200)
    ada = run(AdaGrad(learning_rate=0.5), plateau, steps=200)
    assert sgd.steps_to() == 49
    assert not ada.converged
    assert round(ada.final[0], 2) == 6.57
    lengths = np.linalg.norm(np.diff(ada.path, axis=0), axis=1)
    np.testing.assert_allclose(lengths[99], 0.05, rtol=1e-3)  # eta / sqrt(t)
    np.testing.assert_allclose(lengths[199], 0.5 / np.sqrt(200), rtol=1e-3)
    assert round(20 - ada.final[0], 1) == 13.4
    longer = run(AdaGrad(learning_rate=0.5), plateau, steps=1000)
    assert longer.steps_to() == 674
    assert longer.steps_to() > 10 * sgd.steps_to()


def test_adagrad_leaves_the_saddle_along_the_quiet_coordinate():
    saddle = Saddle()
    ada = run(AdaGrad(learning_rate=0.3), saddle, steps=1).path
    sgd = run(SGD(learning_rate=0.3), saddle, steps=1).path
    assert ada[1, 1] - ada[0, 1] == pytest.approx(0.3, rel=1e-3)
    assert round(sgd[1, 1] - sgd[0, 1], 4) == 0.0003


def test_prose_numbers_are_the_tested_ones():
    text = _markdown()
    for number in (
        "69 ステップ",
        "89 ステップ",
        "49 ステップ",
        "x = 6.57",
        "674 ステップ",
        "約 3.2 倍",
        "0.71",
        "0.034",
    ):
        assert number in text, number


# ------------------------------------------------------------------------------------------- スライダー
@pytest.fixture(scope="module")
def explorer():
    return explore_adagrad()


@pytest.fixture(scope="module")
def static_spec(explorer):
    page = explorer.to_html()
    return page, static_payload(page)


def test_slider_grids(explorer):
    theta, eta = explorer.sliders
    assert theta.name == "theta" and theta.log
    assert theta.values[0] == 1e-8 and theta.values[-1] == 1.0 and len(theta.values) <= 30
    assert 1e-7 in theta.values and theta.value == 1e-7
    assert eta.name == "eta" and eta.values == (0.5, 1.0, 1.5, 2.0, 2.5, 3.0) and eta.value == 1.5


def test_static_page_weight_and_frames(explorer, static_spec):
    page, spec = static_spec
    assert len(spec["frames"]) == len(THETA_GRID) * len(ETA_GRID) <= 150
    assert len(page.encode()) < 300_000
    assert "http://" not in page and "https://" not in page and "<script src" not in page
    assert page.count("data:image/png;base64,") == 1


def _frame(spec, theta, eta):
    i = THETA_GRID.index(theta)
    j = ETA_GRID.index(eta)
    return spec["frames"][i * len(ETA_GRID) + j]


def test_static_frames_show_what_theta_does(static_spec):
    _, spec = static_spec
    ghost, line = 0, 1
    smallest = _frame(spec, 1e-8, 1.5)
    assert smallest["a"][ghost] == smallest["a"][line]  # θ → 0: the path is the faint one
    one = _frame(spec, 1.0, 1.5)
    assert one["a"][ghost] != one["a"][line]
    assert "枠の外" in smallest["a"][7][2]  # η/θ far above the rate curves
    assert "枠の外" not in one["a"][7][2] and "η/θ = 1.5" in one["a"][7][2]
    assert "収束（69 ステップ" not in smallest["s"]  # 40 steps are shown, not 300
    assert smallest["s"].startswith("θ = 10⁻⁸, η = 1.5")  # powers of ten as the prose writes them
    assert all("発散" not in f["s"] for f in spec["frames"])
    # tiny θ: the same rate curves to the pixel; θ = 1 pushes them down
    assert _frame(spec, 1e-6, 1.5)["a"][4:6] == smallest["a"][4:6]
    assert one["a"][4] != smallest["a"][4] and one["a"][5] != smallest["a"][5]
    # η changes the curves at every θ
    for theta in THETA_GRID:
        assert len({_frame(spec, theta, eta)["a"][4] for eta in ETA_GRID}) == len(ETA_GRID)


def test_explorer_labels_divergence():
    # η = 30 leaves the divergence radius on the first step: the figure says 「発散」
    ex = explore_adagrad(etas=(1.0, 30.0), eta=1.0)
    status = ex.apply(theta=1e-7, eta=30.0)
    assert "発散" in status
    assert ex.artists[3].get_text() == "発散"


def test_live_widget_covers_the_same_range(explorer):
    box = explorer.widget()
    theta, eta, image, status = box.children
    values = [v for _, v in theta.options]
    assert values[0] == pytest.approx(1e-8) and values[-1] == pytest.approx(1)
    assert set(THETA_GRID) <= set(values) and len(values) == 8 * 8 + 1  # eight positions a decade
    assert theta.value == pytest.approx(1e-7) and theta.label == "10⁻⁷"
    labels = [label for label, _ in theta.options]
    assert labels[:5] == ["10⁻⁸", "1.3×10⁻⁸", "1.8×10⁻⁸", "2.4×10⁻⁸", "3.2×10⁻⁸"] and labels[-1] == "1"
    assert not any("e" in label or "-" in label for label in labels)  # no 1e-08, no ASCII hyphen
    assert eta.min == pytest.approx(0.5) and eta.max == pytest.approx(3.0)
    before = image.value
    theta.value = 1.0
    assert image.value != before
    assert "θ = 1," in status.value
