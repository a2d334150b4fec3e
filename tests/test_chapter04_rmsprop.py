"""Chapter 4 (RMSProp): the claims of the prose, the quoted lines and the ρ / θ slider, on the chapter's settings."""

import inspect
import json
import re
from pathlib import Path

import numpy as np
import pytest

from lropt.explorers.rmsprop import explore_rmsprop
from lropt.interactive import static_payload
from lropt.optimizers import SGD, AdaGrad, RMSProp
from lropt.schedules import StepDecay
from lropt.surfaces import DoubleWell, Plateau
from lropt.trajectory import run

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "chapters" / "04_rmsprop.ipynb"
SEED_LINES = (
    "self.h[key] *= self.decay_rate",
    "self.h[key] += (1 - self.decay_rate) * grad[key] * grad[key]",
    "params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)",
)
ETA, RHO, STEPS = 0.5, 0.9, 200
RHOS = (0.0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999)


def _cells() -> list[dict]:
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def _markdown() -> str:
    return "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "markdown")


def _rms(rho: float, theta: float = 1e-7, steps: int = STEPS, **kwargs):
    return run(RMSProp(learning_rate=ETA, decay_rate=rho, theta=theta), Plateau(), steps=steps, **kwargs)


def _lengths(traj) -> np.ndarray:
    return np.linalg.norm(np.diff(traj.path, axis=0), axis=1)


# ------------------------------------------------------------------------------------------- the notebook
def test_the_chapter_quotes_the_seed_lines_of_rmsprop():
    """The three ```python lines of the chapter are RMSProp's own docstring lines (drift fails here)."""
    blocks = re.findall(r"```python\n(.*?)```", _markdown(), flags=re.S)
    quoted = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert quoted == list(SEED_LINES)
    doc_lines = {line.strip() for line in inspect.getsource(RMSProp).splitlines()}
    for line in SEED_LINES:
        assert line in doc_lines, line


def test_sections_in_the_house_order_and_quiz_dropdowns():
    text = _markdown()
    headings = re.findall(r"^##+ (.+)$", text, flags=re.M)
    order = ["直感", "数式", "実装", "可視化とスライダー", "注意点", "まとめ", "確認問題"]
    positions = [next(i for i, h in enumerate(headings) if h.startswith(name)) for name in order]
    assert positions == sorted(positions), headings
    assert text.count(":::{admonition} 解答\n:class: dropdown") == 3
    assert "\\alpha" in text and "\\epsilon" in text  # the seed's letters are named once


def test_cells_hidden_claims_imports_and_line_length():
    cells = _cells()
    hidden = [c for c in cells if "remove-cell" in c["metadata"].get("tags", [])]
    assert len(hidden) >= 7
    for c in hidden:
        assert c["metadata"]["jupyter"] == {"source_hidden": True}
        assert "assert" in "".join(c["source"])
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    for line in code.splitlines():
        assert len(line) <= 80, line
    assert "from lropt.explorers.rmsprop import explore_rmsprop" in code
    assert re.search(r"^explore_rmsprop\(\)$", code, flags=re.M)
    assert "class " not in code


def test_prose_numbers_are_the_tested_ones():
    text = _markdown()
    for number in (
        "37 ステップ目",
        "49 ステップ",
        "x = 6.57",
        "674 ステップ",
        "65 ステップ",
        "0.354",
        "1.58",
        "57〜93 ステップ",
        "15.8",
        "0.316",
        "2.454",
        "0.003",
    ):
        assert number in text, number


# ------------------------------------------------------------------------------------------- 直感と数式
@pytest.mark.parametrize("rho", [0.5, 0.9, 0.99])
def test_h_forgets_with_weights_rho_to_the_k(rho):
    opt = RMSProp(learning_rate=0.1, decay_rate=rho)
    params = {"w": np.zeros(1)}
    h = []
    for k in range(300):
        opt.update(params, {"w": np.array([1.0 if k == 0 else 0.0])})
        h.append(opt.h["w"][0])
    weights = np.array(h)
    np.testing.assert_allclose(weights, (1 - rho) * rho ** np.arange(300), rtol=1e-12)
    recent = weights[: round(1 / (1 - rho))].sum()
    assert round(recent, 2) == {0.5: 0.75, 0.9: 0.65, 0.99: 0.63}[rho]


def test_two_hand_computed_steps():
    opt = RMSProp(learning_rate=0.1, decay_rate=0.9)
    params = {"w": np.array([3.0, 3.0])}
    grad = {"w": np.array([2.0, 0.01])}
    opt.update(params, grad)
    np.testing.assert_allclose(params["w"], 3.0 - 0.1 / np.sqrt(0.1), atol=1e-4)  # 0.316 each
    opt.update(params, grad)
    np.testing.assert_allclose(opt.h["w"], 0.19 * grad["w"] ** 2, rtol=1e-12)
    np.testing.assert_allclose(params["w"], 2.454, atol=1e-3)
    assert RMSProp().decay_rate == 0.99 and RMSProp().learning_rate == 0.01


# ------------------------------------------------------------------------------------------- 停滞の解消
def test_the_ramp_with_constant_eta():
    plateau = Plateau()
    np.testing.assert_allclose(plateau.start, [20.0, 2.0])
    sgd = run(SGD(learning_rate=ETA), plateau, steps=STEPS)
    ada = run(AdaGrad(learning_rate=ETA), plateau, steps=STEPS)
    rms = _rms(RHO)
    assert sgd.steps_to() == 49
    assert round(ada.final[0], 2) == 6.57 and not ada.converged
    assert run(AdaGrad(learning_rate=ETA), plateau, steps=1000).steps_to() == 674
    # RMSProp walks the ramp with x-steps eta / sqrt(1 - rho^t) -> eta
    dx = -np.diff(rms.path[:, 0])
    t = np.arange(1, 27)
    np.testing.assert_allclose(dx[:26], ETA / np.sqrt(1 - RHO**t), rtol=1e-2)
    assert round(dx[0], 2) == 1.58
    assert np.all((dx[10:26] > 0.5) & (dx[10:26] < 0.61))
    d = rms.distances()
    assert int(np.argmax(d < 1e-3)) == 37 < int(np.argmax(sgd.distances() < 1e-3)) == 49


def test_hovering_at_half_eta_and_the_decay_remedy():
    rms = _rms(RHO)
    d = rms.distances()
    assert d[42] > 1e-3 and np.all(d[100:] > 0.1)
    assert not rms.converged and not rms.diverged
    np.testing.assert_allclose(np.abs(rms.path[-2:]), ETA / 2, atol=1e-3)
    np.testing.assert_allclose(rms.path[-1], -rms.path[-2], atol=1e-3)
    assert round(d[-1], 3) == round(ETA / np.sqrt(2), 3) == 0.354
    decayed = _rms(RHO, schedule=StepDecay(ETA, drop=0.1, every=50))
    assert decayed.steps_to() == 65


# ------------------------------------------------------------------------------------------- ρ と θ
def test_rho_zero_gives_sign_like_steps():
    plateau = Plateau()
    traj = _rms(0.0, steps=100)
    g = plateau.grad(traj.path[:-1].T).T
    np.testing.assert_allclose(
        np.diff(traj.path, axis=0), -ETA * g / (np.abs(g) + 1e-7), rtol=1e-9, atol=1e-15
    )
    big = np.abs(g) > 1e-3
    np.testing.assert_allclose(np.abs(np.diff(traj.path, axis=0))[big], ETA, rtol=1e-3)
    assert round(_lengths(traj).max(), 3) == round(ETA * np.sqrt(2), 3)
    np.testing.assert_allclose(traj.path[:5, 1], [2.0, 1.5, 1.0, 0.5, 0.0], atol=1e-6)
    assert not traj.converged


@pytest.mark.parametrize("rho", [0.9, 0.99, 0.999])
def test_first_step_is_eta_over_sqrt_one_minus_rho(rho):
    step1 = np.abs(_rms(rho, steps=1).path[1] - Plateau().start)
    np.testing.assert_allclose(step1, ETA / np.sqrt(1 - rho), rtol=1e-5)


def test_large_rho_leaves_the_window():
    assert round(_rms(0.99, steps=100).path[1, 1], 3) == -3.0
    for rho in (0.995, 0.999):
        assert np.abs(_rms(rho, steps=100).path[:, 1]).max() > 3
    for rho in (0.9, 0.95):
        assert not _rms(rho, steps=100).converged


def test_tiny_theta_does_nothing_and_theta_one_converges():
    for rho in RHOS:
        base = _rms(rho, theta=1e-8, steps=20).path
        for theta in (1e-7, 1e-6, 1e-5, 1e-4):
            assert np.abs(_rms(rho, theta=theta, steps=20).path - base).max() < 0.1
    ks = [_rms(rho, theta=1.0, steps=100).steps_to() for rho in RHOS]
    assert None not in ks and (min(ks), max(ks)) == (57, 93), ks
    slow = -np.diff(_rms(0.9, theta=1.0, steps=100).path[:, 0])
    np.testing.assert_allclose(slow[15:30], ETA / 2, rtol=0.06)


# ------------------------------------------------------------------------------------------- 注意点
def test_double_well_shallow_and_deep():
    well = DoubleWell(tilt=0.3)
    for eta in (0.01, 0.02, 0.03, 0.05, 0.1):
        assert run(RMSProp(learning_rate=eta, decay_rate=0.99), well, steps=400).stuck_in_local_minimum, eta
    deep = run(RMSProp(learning_rate=0.2, decay_rate=0.99), well, steps=400)
    assert not deep.stuck_in_local_minimum and not deep.converged
    assert deep.distances()[-1] < 0.003 and deep.final[0] < 0


def test_eta_sweep_matters_more_than_rho():
    plateau = Plateau()
    etas = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
    arr = np.array(
        [
            [run(RMSProp(learning_rate=e, decay_rate=r), plateau, steps=STEPS).distances()[-1] for e in etas]
            for r in (0.9, 0.95, 0.99)
        ]
    )
    assert np.all(arr[:, :2] > 10)
    assert np.all(arr[:, 2:5] < 1)
    assert np.all(arr[:, 5] > 1.5)


# ------------------------------------------------------------------------------------------- スライダー
@pytest.fixture(scope="module")
def explorer():
    return explore_rmsprop()


@pytest.fixture(scope="module")
def static_spec(explorer):
    page = explorer.to_html()
    return page, static_payload(page)


def test_slider_grids(explorer):
    rho, theta = explorer.sliders
    assert rho.name == "rho" and rho.values == RHOS and rho.value == 0.9
    assert theta.name == "theta" and theta.log
    assert theta.values[0] == 1e-8 and theta.values[-1] == 1.0 and 1e-7 in theta.values
    assert list(theta.values) == sorted(theta.values) and len(theta.values) <= 30


def test_static_page_weight_and_frames(explorer, static_spec):
    page, spec = static_spec
    assert len(spec["frames"]) == len(explorer.sliders[0].values) * len(explorer.sliders[1].values) <= 150
    assert len(page.encode()) < 300_000
    assert "http://" not in page and "https://" not in page and "<script src" not in page


def test_static_frames_follow_the_claims(explorer, static_spec):
    _, spec = static_spec
    thetas = explorer.sliders[1].values
    n = len(thetas)

    def frame(rho, theta):
        return spec["frames"][RHOS.index(rho) * n + thetas.index(theta)]

    for rho in RHOS:
        assert "収束" in frame(rho, 1.0)["s"] and "未収束" not in frame(rho, 1.0)["s"]
        assert "未収束" in frame(rho, 1e-7)["s"]
    assert all("発散" not in f["s"] for f in spec["frames"])


def test_live_widget_covers_the_same_range(explorer):
    box = explorer.widget()
    controls = box.children[:2]
    theta = controls[1]
    values = [v for _, v in theta.options]
    assert values[0] == pytest.approx(1e-8) and values[-1] == pytest.approx(1)
    assert theta.label == "10⁻⁷" and ("3.2×10⁻⁸", 3.16e-8) in theta.options
    image = box.children[2]
    before = image.value
    theta.value = 1.0
    assert image.value != before


def test_curves_below_the_frame_are_marked():
    """θ = 1 converges: the distance and step curves run along the bottom edge, and the figure says so."""
    ex = explore_rmsprop()
    ex.apply(rho=0.99, theta=1.0)
    texts = [a.get_text() for a in ex.artists if hasattr(a, "get_text")]
    assert "10⁻⁴ 未満は下端に描いています" in texts, texts
    assert any(t.endswith("（10⁻² 未満は下端）") for t in texts), texts
    ex.apply(rho=0.5, theta=1e-7)  # hovers about η away: never below the frame
    texts = [a.get_text() for a in ex.artists if hasattr(a, "get_text")]
    assert not any("下端" in t for t in texts), texts
