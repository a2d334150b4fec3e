"""Tests of lropt.quiz: the question data, grading, both renderings, and the code-exercise checker.

The checker's catalogue: for every method, a correct class written in the seed's style is broken one mistake at a
time by replacing its lines (the classes are compiled from source, so the checker can read it as in a notebook);
each broken class must be rejected with its specific diagnosis, and correct but differently written classes must
pass.
"""

from __future__ import annotations

import itertools
import json
import linecache
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from lropt import quiz
from lropt.nn import make_spirals, split, sweep_learning_rate
from lropt.optimizers import OPTIMIZERS, SGD, Adam, Momentum, RMSProp
from lropt.quiz import CHAPTERS, check_implementation, grade, questions, show_quiz
from lropt.surfaces import DoubleWell, Quadratic1D
from lropt.trajectory import run

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "code" / "lropt" / "data" / "quiz.yaml"
NOTEBOOK = ROOT / "chapters" / "07_quiz.ipynb"


# ---------------------------------------------------------------------------------------------------------
# the question data
# ---------------------------------------------------------------------------------------------------------


def test_there_are_enough_questions_for_every_chapter():
    qs = questions()
    assert len(qs) >= 21 + 1
    per_chapter = Counter(q.chapter for q in qs)
    assert set(per_chapter) == set(CHAPTERS)
    assert all(2 <= n <= 4 for n in per_chapter.values()), per_chapter
    assert set(Counter(q.kind for q in qs)) == {"choice", "numeric", "fill"}
    assert len({q.id for q in qs}) == len(qs)


def test_every_question_is_explained_and_well_formed():
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))["questions"]
    assert [r["id"] for r in raw] == [q.id for q in questions()]
    for q in questions():
        assert q.chapter in CHAPTERS
        assert len(q.explanation) > 30, q.id
        assert not re.search(r"\$|\\\(|\\frac", q.text + q.explanation), f"{q.id}: plain text, not MathJax"
        if q.kind == "choice":
            # exactly one correct choice: an index, and the choices are distinct
            assert isinstance(q.answer, int) and 0 <= q.answer < len(q.choices)
            assert len(set(q.choices)) == len(q.choices) >= 3
        elif q.kind == "numeric":
            assert 0 < q.tolerance <= 0.01 * max(abs(q.answer), 0.01), q.id
            assert q.check is not None, f"{q.id}: numeric questions store their inputs"
        else:
            assert q.code.count(quiz.BLANK) == 1
            for a in q.answers:
                assert grade(q, a).correct


def test_no_question_text_looks_like_an_error_on_the_site():
    # tests/site/test_site.py flags outputs that contain these words
    page = show_quiz().to_html()
    assert not re.search(r"\w*(Error|Warning)\b|Traceback|stderr", page)


def test_the_seed_question_is_there_with_its_correction():
    (q,) = [q for q in questions("seed") if q.id == "seed-features"]
    assert "モメンタム・AdaGrad・RMSProp の特徴をそれぞれ簡潔に説明せよ" in q.text
    seed_answer = q.choices[0]
    assert "大域的最適解になる" in seed_answer and "調整が不要な場合が多い" in seed_answer
    assert q.answer != 0  # the seed's answer overclaims: the precise one is correct
    assert "保証" in q.choices[q.answer] and "停滞" in q.choices[q.answer]
    assert "試験" in q.explanation and "言い過ぎ" in q.explanation


def _recompute(check: dict) -> float:
    """The answer of a numeric question, computed with lropt.optimizers from its stored inputs."""
    opt = OPTIMIZERS[check["optimizer"]](**check["hyper"])
    params = {"w": np.array([float(check["w"])])}
    for name, value in check.get("state", {}).items():
        setattr(opt, name, {"w": np.array([float(value)])})
    before = params["w"].copy()
    for g in check["grads"]:
        opt.update(params, {"w": np.array([float(g)])})
    result = check["result"]
    if result == "w":
        return float(params["w"][0])
    if result == "step":
        return float(abs(params["w"][0] - before[0]))
    return float(getattr(opt, result)["w"][0])


@pytest.mark.parametrize("q", [q for q in questions() if q.kind == "numeric"], ids=lambda q: q.id)
def test_numeric_answers_are_recomputed_with_lropt(q):
    value = _recompute(q.check)
    assert abs(value - q.answer) <= q.tolerance / 2, (q.id, value, q.answer)
    assert grade(q, value).correct
    assert not grade(q, value + 3 * q.tolerance).correct
    # every input that changes the answer appears in the question text
    text = q.text.replace("−", "-").replace("10⁻⁷", "1e-07").replace("10⁻⁸", "1e-08")
    shown = [*q.check.get("state", {}).values()]
    for name, x in q.check["hyper"].items():
        changed = {**q.check, "hyper": {**q.check["hyper"], name: x * 0.5}}
        if abs(_recompute(changed) - value) > q.tolerance:
            shown.append(x)
    if q.check["result"] == "w":
        shown.append(q.check["w"])
    if q.id == "lr-sgd-step":  # the gradient is f'(3) for f = 2x², for the reader to compute
        assert float(np.ravel(Quadratic1D(curvature=4.0).grad([3.0]))[0]) == q.check["grads"][0] == 12.0
    else:
        shown += q.check["grads"]
    for x in shown:
        assert f"{x:g}" in text, (q.id, x)


def test_choice_claims_learning_rate():
    # lr-oscillate: f = 5x² (L = 10), η = 0.25: the factor is -1.5, the sign alternates and it diverges
    traj = run(SGD(learning_rate=0.25), Quadratic1D(curvature=10.0), start=[1.0], steps=20)
    xs = traj.path[:6, 0]
    assert np.allclose(xs[1:] / xs[:-1], -1.5)
    assert traj.diverged
    assert not run(SGD(learning_rate=0.19), Quadratic1D(curvature=10.0), start=[1.0], steps=200).diverged
    # seed-lr-small: the double well of chapter 1 (300 steps)
    well = DoubleWell(tilt=0.3)
    assert run(SGD(learning_rate=0.1), well, steps=300).converged
    assert run(SGD(learning_rate=0.16), well, steps=300).stuck_in_local_minimum
    assert run(SGD(learning_rate=0.18), well, steps=300).diverged


def test_choice_claims_momentum_and_rmsprop_double_well():
    # momentum-global, seed-features: μ = 0.9 from (2, 1): η = 0.02 reaches the deep valley, η = 0.03 goes back
    well = DoubleWell(tilt=0.3)
    assert run(Momentum(learning_rate=0.02, momentum=0.9), well, steps=400).converged
    assert run(Momentum(learning_rate=0.03, momentum=0.9), well, steps=400).stuck_in_local_minimum
    # seed-features: RMSProp can stop in the shallow valley too (chapter 4)
    assert run(RMSProp(learning_rate=0.05, decay_rate=0.99), well, steps=400).stuck_in_local_minimum


def test_choice_claims_adam():
    # adam-bias: without the correction the first step is (1 - β₁)/√(1 - β₂) ≈ 3.16 η
    assert round((1 - 0.9) / np.sqrt(1 - 0.999), 2) == 3.16
    opt = Adam(learning_rate=0.01)
    params = {"w": np.array([2.0, 2.0])}
    opt.update(params, {"w": np.array([-3.0, 0.01])})
    assert np.allclose(params["w"] - 2.0, [0.01, -0.01], rtol=1e-5)  # every coordinate moves by η
    # cmp-memory: state arrays per parameter
    sizes = {}
    for name, cls in OPTIMIZERS.items():
        o = cls()
        p = {"w": np.zeros(1000)}
        o.update(p, {"w": np.ones(1000)})
        sizes[name] = sum(getattr(o, s)["w"].size for s in o._state_names)
    assert sizes == {"SGD": 0, "Momentum": 1000, "AdaGrad": 1000, "RMSProp": 1000, "Adam": 2000}


def test_choice_claim_adam_tuning_on_spirals():
    # cmp-adam-tuning: the spirals of chapter 6, Adam over the same η grid (500 steps)
    grid = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
    data = split(*make_spirals(points_per_class=150, classes=3, noise=0.3, seed=0))
    logs = sweep_learning_rate(lambda eta: Adam(learning_rate=eta), data, grid, steps=500)
    good = [e for e in grid if logs[e].tail_loss(100) < 0.3]
    assert good == [3e-3, 1e-2, 3e-2, 0.1]
    assert not logs[0.3].diverged and logs[0.3].tail_loss(100) > 0.5
    assert [e for e in grid if logs[e].diverged] == [1.0, 3.0]


def test_bad_question_data_is_refused():
    base = {"id": "x-1", "chapter": "adam", "kind": "choice", "text": "問", "explanation": "解説"}
    with pytest.raises(ValueError, match="answer"):
        quiz._question({**base, "choices": ["a", "b"], "answer": 2})
    with pytest.raises(ValueError, match="chapter"):
        quiz._question({**base, "chapter": "nn", "choices": ["a", "b"], "answer": 0})
    with pytest.raises(ValueError, match="tolerance"):
        quiz._question({**base, "kind": "numeric", "answer": 1.0})
    with pytest.raises(ValueError, match="空欄"):
        quiz._question({**base, "kind": "fill", "code": "x = 1", "answers": ["1"]})
    with pytest.raises(ValueError, match="explanation"):
        quiz._question({**base, "explanation": " ", "choices": ["a", "b"], "answer": 0})
    with pytest.raises(ValueError, match="chapter"):
        questions("nn")


# ---------------------------------------------------------------------------------------------------------
# grading
# ---------------------------------------------------------------------------------------------------------


def _q(qid: str):
    return next(q for q in questions() if q.id == qid)


def test_grade_choice():
    q = _q("momentum-global")
    assert grade(q, 1).correct and grade(q, 1).message == "正解です。"
    wrong = grade(q, 0)
    assert (
        not wrong.correct and wrong.answered and "イ" in wrong.message and wrong.explanation == q.explanation
    )
    empty = grade(q, None)
    assert not empty.answered and not empty.explanation  # nothing revealed before an answer
    assert not grade(q, 7).answered and not grade(q, True).answered


def test_grade_numeric_accepts_the_tolerance_and_typed_text():
    q = _q("momentum-v")  # -0.65 ± 0.001
    for ok in (-0.65, -0.6509, "-0.65", " −0.650 ", "－０．６５", "-6.5e-1", -0.6495):
        assert grade(q, ok).correct, ok
    for ng in (0.65, -0.652, "-0.66"):
        v = grade(q, ng)
        assert not v.correct and v.answered and "−0.65" in v.message and "±0.001" in v.message
    for bad in ("", "abc", "1/2", "nan", "inf", "0x10", None, float("nan")):
        assert not grade(q, bad).answered, bad


def test_grade_fill_normalises_white_space_only():
    q = _q("rmsprop-fill")
    for ok in (
        "(1 - self.decay_rate)",
        "(1-self.decay_rate)",
        " ( 1  -  self.decay_rate ) ",
        "（1 − self.decay_rate）",
    ):
        assert grade(q, ok).correct, ok
    for ng in ("1 - self.decay_rate", "self.decay_rate", "(1 - decay_rate)"):
        assert not grade(q, ng).correct and grade(q, ng).answered, ng
    assert not grade(q, "   ").answered
    q = _q("momentum-fill-v")
    assert grade(q, "self.v[key]*self.momentum").correct


# ---------------------------------------------------------------------------------------------------------
# renderings
# ---------------------------------------------------------------------------------------------------------


def _parts(box):
    import ipywidgets as widgets

    control = next(
        c for c in box.children if isinstance(c, widgets.RadioButtons | widgets.FloatText | widgets.Text)
    )
    button = next(c for c in box.children if isinstance(c, widgets.Button))
    feedback = box.children[-1]
    assert isinstance(feedback, widgets.HTML)
    return control, button, feedback


def test_widget_grades_on_click():
    import ipywidgets as widgets

    qz = show_quiz("momentum")
    boxes = qz.widget().children
    assert [b.question.id for b in boxes] == [q.id for q in questions("momentum")]
    for box in boxes:
        q = box.question
        control, button, feedback = _parts(box)
        assert button.description == "答え合わせ"
        assert not any(isinstance(c, widgets.Output) for c in box.children)
        button.click()
        if q.kind != "numeric":  # FloatText starts at 0, which is an answer
            assert "ください" in feedback.value and "解説" not in feedback.value
        if q.kind == "choice":
            right, wrong = q.answer, (q.answer + 1) % len(q.choices)
        elif q.kind == "numeric":
            right, wrong = q.answer, q.answer + 1.0
        else:
            right, wrong = q.answers[0], "x"
        control.value = wrong
        button.click()
        assert "不正解" in feedback.value and "解説" in feedback.value
        control.value = right
        button.click()
        assert "正解です" in feedback.value and "不正解" not in feedback.value
        assert feedback.value == grade(q, right).to_html()


def test_mimebundle_has_widget_and_html():
    bundle = show_quiz("adam")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].startswith('<div class="lropt-quiz"')
    assert "4 問" in bundle["text/plain"]


def test_static_html_is_self_contained_and_deterministic():
    page = show_quiz().to_html()
    assert "http://" not in page and "https://" not in page and "<script src" not in page
    assert page.count("<script>") == 1
    assert page == show_quiz().to_html()
    assert not re.search(r"uuid|Math\.random", page)
    for q in questions():
        assert f'data-qid="{q.id}"' in page
    data = json.loads(
        re.search(r'class="lropt-quiz-data">(.*?)</script>', page, re.S).group(1).replace("<\\/", "</")
    )
    assert len(data) == len(questions())
    # ids differ between different question sets
    ids = {re.search(r'id="(lropt-quiz-[0-9a-f]+)"', show_quiz(c).to_html()).group(1) for c in CHAPTERS}
    assert len(ids) == len(CHAPTERS)


def test_show_quiz_selects_by_id_in_order():
    qz = show_quiz(ids=["adam-fill", "lr-too-large"])
    assert [q.id for q in qz.questions] == ["adam-fill", "lr-too-large"]
    assert [q.id for q in show_quiz("adam", ids="adam-bias").questions] == ["adam-bias"]
    with pytest.raises(ValueError, match="見つかりません"):
        show_quiz("momentum", ids=["adam-fill"])


# ---------------------------------------------------------------------------------------------------------
# the checker: correct classes in the seed's style, broken one line at a time
# ---------------------------------------------------------------------------------------------------------

SOURCES = {
    "SGD": """
class MySGD:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate

    def update(self, params, grad):
        for key in params.keys():
            params[key] -= self.learning_rate * grad[key]
""",
    "Momentum": """
class MyMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.v = None

    def update(self, params, grad):
        if self.v is None:
            self.v = {}
            for key, val in params.items():
                self.v[key] = np.zeros_like(val)
        for key in params.keys():
            self.v[key] = self.momentum * self.v[key] - self.learning_rate * grad[key]
            params[key] += self.v[key]
""",
    "AdaGrad": """
class MyAdaGrad:
    def __init__(self, learning_rate=0.01, theta=1e-7, initial_h=0.0):
        self.learning_rate = learning_rate
        self.theta = theta
        self.initial_h = initial_h
        self.h = None

    def update(self, params, grad):
        if self.h is None:
            self.h = {}
            for key, val in params.items():
                self.h[key] = np.full_like(val, self.initial_h)
        for key in params.keys():
            self.h[key] += grad[key] * grad[key]
            params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)
""",
    "RMSProp": """
class MyRMSProp:
    def __init__(self, learning_rate=0.01, decay_rate=0.99, theta=1e-7):
        self.learning_rate = learning_rate
        self.decay_rate = decay_rate
        self.theta = theta
        self.h = None

    def update(self, params, grad):
        if self.h is None:
            self.h = {}
            for key, val in params.items():
                self.h[key] = np.zeros_like(val)
        for key in params.keys():
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grad[key] * grad[key]
            params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)
""",
    "Adam": """
class MyAdam:
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, theta=1e-8):
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.theta = theta
        self.m = None
        self.v = None
        self.t = 0

    def update(self, params, grad):
        if self.m is None:
            self.m, self.v = {}, {}
            for key, val in params.items():
                self.m[key] = np.zeros_like(val)
                self.v[key] = np.zeros_like(val)
        self.t += 1
        for key in params.keys():
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * grad[key]
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * grad[key] * grad[key]
            m_hat = self.m[key] / (1 - self.beta1**self.t)
            v_hat = self.v[key] / (1 - self.beta2**self.t)
            params[key] -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.theta)
""",
}

_counter = itertools.count()


def build(name: str, *edits: tuple[str, str]) -> type:
    """The class of SOURCES[name] with each (old, new) edit applied once; its source is readable by inspect."""
    source = SOURCES[name]
    for old, new in edits:
        assert source.count(old) >= 1, f"edit not applicable: {old!r}"
        source = source.replace(old, new)
    filename = f"<quiz-test-{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    return next(v for k, v in namespace.items() if k.startswith("My"))


def swap_lines(name: str, first: str, second: str) -> tuple[str, str]:
    """An edit that swaps two consecutive lines of SOURCES[name] (same indentation)."""
    lines = SOURCES[name].splitlines()
    i = next(j for j, line in enumerate(lines) if line.strip() == first)
    assert lines[i + 1].strip() == second
    return lines[i] + "\n" + lines[i + 1], lines[i + 1] + "\n" + lines[i]


SGD_LINE = "params[key] -= self.learning_rate * grad[key]"
MOM_V = "self.v[key] = self.momentum * self.v[key] - self.learning_rate * grad[key]"
MOM_P = "params[key] += self.v[key]"
ADA_H = "self.h[key] += grad[key] * grad[key]"
ADA_P = "params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)"
RMS_D = "self.h[key] *= self.decay_rate"
RMS_H = "self.h[key] += (1 - self.decay_rate) * grad[key] * grad[key]"
ADAM_M = "m_hat = self.m[key] / (1 - self.beta1**self.t)"
ADAM_V = "v_hat = self.v[key] / (1 - self.beta2**self.t)"
ADAM_P = "params[key] -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.theta)"
T_UP = "        self.t += 1\n"

SHARED = {
    "Momentum": [
        ("self.v[key] = np.zeros_like(val)", "self.v = np.zeros_like(val)"),
        ("self.v[key]", "self.v"),
    ],
    "AdaGrad": [("self.h[key]", "self.h['all']")],
    "RMSProp": [("self.h[key]", "self.h['all']")],
    "Adam": [("self.m[key]", "self.m['all']"), ("self.v[key]", "self.v['all']")],
}

CATALOGUE: list[tuple[str, str, list[tuple[str, str]]]] = [
    # SGD
    ("SGD", "sign", [(SGD_LINE, "params[key] += self.learning_rate * grad[key]")]),
    ("SGD", "missing_lr", [(SGD_LINE, "params[key] -= grad[key]")]),
    ("SGD", "hardcoded_learning_rate", [(SGD_LINE, "params[key] -= 0.01 * grad[key]")]),
    ("SGD", "rebinding", [(SGD_LINE, "params[key] = params[key] - self.learning_rate * grad[key]")]),
    (
        "SGD",
        "unchanged",
        [
            ("for key in params.keys():", "for key, p in params.items():"),
            (SGD_LINE, "p = p - self.learning_rate * grad[key]"),
        ],
    ),
    ("SGD", "exception", [(SGD_LINE, "params[key] -= self.learning_rate * grad[key + '_']")]),
    ("SGD", "constructor", [("learning_rate=0.01", "lr=0.01"), ("= learning_rate", "= lr")]),
    # Momentum
    ("Momentum", "sign", [("- self.learning_rate * grad[key]", "+ self.learning_rate * grad[key]")]),
    ("Momentum", "sign", [(MOM_P, "params[key] -= self.v[key]")]),
    ("Momentum", "order", [swap_lines("Momentum", MOM_V, MOM_P)]),
    ("Momentum", "no_momentum", [(MOM_V, "self.v[key] = - self.learning_rate * grad[key]")]),
    ("Momentum", "missing_lr", [(MOM_V, "self.v[key] = self.momentum * self.v[key] - grad[key]")]),
    ("Momentum", "hardcoded_momentum", [("self.momentum * self.v[key]", "0.9 * self.v[key]")]),
    ("Momentum", "hardcoded_learning_rate", [("self.learning_rate * grad", "0.01 * grad")]),
    ("Momentum", "shared_state", SHARED["Momentum"]),
    ("Momentum", "rebinding", [(MOM_P, "params[key] = params[key] + self.v[key]")]),
    ("Momentum", "unchanged", [(MOM_P, "p = params[key]; p = p + self.v[key]")]),
    ("Momentum", "exception", [("if self.v is None:", "if False:")]),
    ("Momentum", "constructor", [("momentum=0.9):", "mu=0.9):"), ("= momentum", "= mu")]),
    # AdaGrad
    ("AdaGrad", "sign", [("params[key] -= self", "params[key] += self")]),
    ("AdaGrad", "missing_sqrt", [("np.sqrt(self.h[key]) + self.theta", "self.h[key] + self.theta")]),
    ("AdaGrad", "theta_inside", [("np.sqrt(self.h[key]) + self.theta", "np.sqrt(self.h[key] + self.theta)")]),
    ("AdaGrad", "overwrite", [(ADA_H, "self.h[key] = grad[key] * grad[key]")]),
    ("AdaGrad", "no_square", [(ADA_H, "self.h[key] += grad[key]")]),
    ("AdaGrad", "order", [swap_lines("AdaGrad", ADA_H, ADA_P)]),
    ("AdaGrad", "hardcoded_theta", [("+ self.theta)", "+ 1e-7)")]),  # the seed's own line
    ("AdaGrad", "hardcoded_learning_rate", [("self.learning_rate * grad", "0.01 * grad")]),
    ("AdaGrad", "hardcoded_initial_h", [("np.full_like(val, self.initial_h)", "np.zeros_like(val)")]),
    ("AdaGrad", "shared_state", SHARED["AdaGrad"]),
    ("AdaGrad", "rebinding", [("params[key] -= self", "params[key] = params[key] - self")]),
    ("AdaGrad", "exception", [(ADA_H, "self.he[key] += grad[key] * grad[key]")]),  # the seed's typo
    (
        "AdaGrad",
        "constructor",
        [("initial_h=0.0):", "):"), ("self.initial_h = initial_h", "self.initial_h = 0.0")],
    ),
    # RMSProp
    ("RMSProp", "sign", [("params[key] -= self", "params[key] += self")]),
    ("RMSProp", "missing_sqrt", [("np.sqrt(self.h[key]) + self.theta", "self.h[key] + self.theta")]),
    ("RMSProp", "theta_inside", [("np.sqrt(self.h[key]) + self.theta", "np.sqrt(self.h[key] + self.theta)")]),
    (
        "RMSProp",
        "rho_swapped",
        [
            (RMS_D, "self.h[key] *= 1 - self.decay_rate"),
            (RMS_H, "self.h[key] += self.decay_rate * grad[key] * grad[key]"),
        ],
    ),
    ("RMSProp", "missing_one_minus_rho", [(RMS_H, "self.h[key] += grad[key] * grad[key]")]),
    ("RMSProp", "missing_decay", [("            " + RMS_D + "\n", "")]),
    ("RMSProp", "no_square", [(RMS_H, "self.h[key] += (1 - self.decay_rate) * grad[key]")]),
    (
        "RMSProp",
        "order",
        [
            (
                f"{RMS_D}\n{12 * ' '}{RMS_H}\n{12 * ' '}{ADA_P}",
                f"{ADA_P}\n{12 * ' '}{RMS_D}\n{12 * ' '}{RMS_H}",
            )
        ],
    ),
    (
        "RMSProp",
        "hardcoded_decay_rate",
        [("*= self.decay_rate", "*= 0.99"), ("(1 - self.decay_rate)", "(1 - 0.99)")],
    ),
    ("RMSProp", "hardcoded_theta", [("+ self.theta)", "+ 1e-7)")]),
    ("RMSProp", "hardcoded_learning_rate", [("self.learning_rate * grad", "0.01 * grad")]),
    ("RMSProp", "shared_state", SHARED["RMSProp"]),
    ("RMSProp", "rebinding", [("params[key] -= self", "params[key] = params[key] - self")]),
    ("RMSProp", "exception", [(RMS_D, "self.h[key] *= self.decay")]),
    ("RMSProp", "constructor", [("decay_rate=0.99", "rho=0.99"), ("= decay_rate", "= rho")]),
    # Adam
    ("Adam", "sign", [(ADAM_P, ADAM_P.replace("-=", "+="))]),
    ("Adam", "missing_sqrt", [("np.sqrt(v_hat) + self.theta", "v_hat + self.theta")]),
    ("Adam", "theta_inside", [("np.sqrt(v_hat) + self.theta", "np.sqrt(v_hat + self.theta)")]),
    ("Adam", "no_bias_correction", [(ADAM_M, "m_hat = self.m[key]"), (ADAM_V, "v_hat = self.v[key]")]),
    ("Adam", "partial_bias_correction", [(ADAM_V, "v_hat = self.v[key]")]),
    ("Adam", "partial_bias_correction", [(ADAM_M, "m_hat = self.m[key]")]),
    ("Adam", "counter", [(T_UP, ""), ("self.t = 0", "self.t = 1")]),  # t stays 1
    ("Adam", "counter", [(T_UP, "")]),  # t stays 0: 1 - β⁰ = 0, NumPy gives inf/nan
    ("Adam", "counter", [(T_UP, ""), (ADAM_P, ADAM_P + "\n        self.t += 1")]),  # t = 0 on the first step
    (
        "Adam",
        "counter_per_key",
        [(T_UP, ""), ("for key in params.keys():\n", "for key in params.keys():\n            self.t += 1\n")],
    ),
    (
        "Adam",
        "beta_swapped",
        [
            ("self.beta1 * self.m[key] + (1 - self.beta1)", "(1 - self.beta1) * self.m[key] + self.beta1"),
            ("self.beta2 * self.v[key] + (1 - self.beta2)", "(1 - self.beta2) * self.v[key] + self.beta2"),
        ],
    ),
    (
        "Adam",
        "theta_scaled",  # ゼロつく's Adam: lr_t = η √(1 - β₂ᵗ) / (1 - β₁ᵗ), θ added to √v
        [
            (
                ADAM_P,
                "lr_t = self.learning_rate * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)\n"
                "            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + self.theta)",
            )
        ],
    ),
    ("Adam", "hardcoded_beta1", [("self.beta1 *", "0.9 *"), ("(1 - self.beta1", "(1 - 0.9")]),
    ("Adam", "hardcoded_beta2", [("self.beta2 *", "0.999 *"), ("(1 - self.beta2", "(1 - 0.999")]),
    ("Adam", "hardcoded_theta", [("+ self.theta)", "+ 1e-8)")]),
    ("Adam", "hardcoded_learning_rate", [("self.learning_rate * m_hat", "0.001 * m_hat")]),
    ("Adam", "shared_state", SHARED["Adam"]),
    (
        "Adam",
        "rebinding",
        [(ADAM_P, "params[key] = params[key] - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.theta)")],
    ),
    (
        "Adam",
        "exception",  # Python floats: 1 - β⁰ = 0 raises instead of giving inf
        [(T_UP, ""), (ADAM_M, "m_hat = self.m[key] * (1.0 / (1 - self.beta1**self.t))")],
    ),
    (
        "Adam",
        "constructor",
        [
            ("beta1=0.9, beta2=0.999", "betas=(0.9, 0.999)"),
            ("= beta1", "= betas[0]"),
            ("= beta2", "= betas[1]"),
        ],
    ),
]

# (1 − β) and β exchanged in one of Adam's two averages only
CATALOGUE += [
    (
        "Adam",
        "beta_swapped",
        [
            (
                "self.beta1 * self.m[key] + (1 - self.beta1) * grad[key]",
                "(1 - self.beta1) * self.m[key] + self.beta1 * grad[key]",
            )
        ],
    ),
    (
        "Adam",
        "beta_swapped",
        [
            (
                "self.beta2 * self.v[key] + (1 - self.beta2) * grad[key] * grad[key]",
                "(1 - self.beta2) * self.v[key] + self.beta2 * grad[key] * grad[key]",
            )
        ],
    ),
]

# mistakes that give the right numbers, found by the checks after the values
CATALOGUE += [
    (
        "Momentum",
        "grad_modified",
        [
            (
                MOM_V,
                "grad[key] *= self.learning_rate\n"
                "            self.v[key] = self.momentum * self.v[key] - grad[key]",
            )
        ],
    ),
    ("Adam", "defaults", [("beta2=0.999, theta", "beta2=0.99, theta")]),
    ("SGD", "defaults", [("def __init__(self, learning_rate=0.01)", "def __init__(self, learning_rate)")]),
    # state in the class body: one dict shared by every instance
    (
        "RMSProp",
        "class_state",
        [
            ("class MyRMSProp:\n", "class MyRMSProp:\n    h = {}\n\n"),
            ("        self.h = None\n", ""),
            ("if self.h is None:", "if not self.h:"),
            ("            self.h = {}\n", ""),
        ],
    ),
]

KEYWORDS = {
    "sign": "符号",
    "missing_lr": "学習率",
    "no_momentum": "慣性",
    "order": "順番|前に",
    "missing_sqrt": "√",
    "theta_inside": "√ の内側",
    "overwrite": "蓄積",
    "no_square": "二乗",
    "hardcoded_initial_h": "initial_h",
    "rho_swapped": r"\(1 − ρ\) と ρ が逆",
    "missing_one_minus_rho": r"\(1 − ρ\) を掛け忘れ",
    "missing_decay": "ρ を掛けていません",
    "no_bias_correction": "偏りの補正がありません",
    "partial_bias_correction": "片方",
    "counter": "self.t",
    "counter_per_key": "キーごと",
    "beta_swapped": r"\(1 − β\) と β が逆",
    "theta_scaled": "√v",
    "shared_state": "キーごとに分かれていません",
    "rebinding": "置き換え",
    "unchanged": "変わっていません",
    "exception": "例外",
    "constructor": "コンストラクタ",
    "grad_modified": "grad の中身を書き換えています",
    "defaults": r"既定値.*beta2=0\.99（lropt は beta2=0\.999）|learning_rate に既定値がありません",
    "class_state": r"`h` がクラスの直下",
}


@pytest.mark.parametrize("name", list(SOURCES))
def test_the_seed_style_class_passes(name):
    result = check_implementation(build(name), name)
    assert result.passed and result.kind == "passed", result
    assert "合格" in result.message and "✔" in repr(result)
    assert 'data-kind="passed"' in result._repr_html_()


@pytest.mark.parametrize(
    ("name", "kind", "edits"), CATALOGUE, ids=[f"{n}-{k}-{i}" for i, (n, k, _) in enumerate(CATALOGUE)]
)
def test_catalogue_mistake_is_named(name, kind, edits):
    result = check_implementation(build(name, *edits), name)
    assert not result.passed
    assert result.kind == kind, (result.kind, result.message)
    keyword = KEYWORDS.get(kind) or kind.removeprefix("hardcoded_")
    assert re.search(keyword, result.message), result.message
    assert "Traceback" not in result.message and "File " not in result.message
    assert "✘ 不合格" in repr(result) and "不合格" in result._repr_html_()


def test_catalogue_covers_every_listed_mistake_for_every_method():
    kinds = {(n, k) for n, k, _ in CATALOGUE}
    for name in ("Momentum", "AdaGrad", "RMSProp", "Adam"):
        for kind in (
            "sign",
            "shared_state",
            "rebinding",
            "unchanged",
            "exception",
            "constructor",
            "hardcoded_learning_rate",
        ):
            if kind == "unchanged" and name != "Momentum":
                continue  # the same code path for every method (tested with SGD and Momentum)
            assert (name, kind) in kinds, (name, kind)
    for name in ("AdaGrad", "RMSProp", "Adam"):
        assert (name, "missing_sqrt") in kinds and (name, "theta_inside") in kinds
    assert ("RMSProp", "rho_swapped") in kinds and ("Adam", "no_bias_correction") in kinds
    assert ("Adam", "counter") in kinds and ("Momentum", "hardcoded_momentum") in kinds


def test_every_mistaken_variant_of_the_checker_has_a_catalogue_class():
    for name in SOURCES:
        variants = {kind for kind, _ in quiz._variants(name)}
        caught = {k for n, k, _ in CATALOGUE if n == name}
        assert variants <= caught, (name, variants - caught)


def test_exception_messages_name_the_type_line_and_hint():
    r = check_implementation(build("AdaGrad", (ADA_H, "self.he[key] += grad[key] * grad[key]")), "AdaGrad")
    assert "AttributeError" in r.message and "self.he[key] += grad[key] * grad[key]" in r.message
    (adam_exception,) = [edits for n, k, edits in CATALOGUE if (n, k) == ("Adam", "exception")]
    r = check_implementation(build("Adam", *adam_exception), "Adam")
    assert "ZeroDivisionError" in r.message and "self.t += 1" in r.message
    r = check_implementation(build("Momentum", ("if self.v is None:", "if False:")), "Momentum")
    assert "None" in r.message


def test_differently_written_correct_classes_pass():
    # PyTorch's momentum form b = μb + g, w -= ηb (the same numbers while η is constant)
    torch_momentum = build(
        "Momentum",
        (MOM_V, "self.v[key] = self.momentum * self.v[key] + grad[key]"),
        (MOM_P, "params[key] -= self.learning_rate * self.v[key]"),
    )
    # lazily created state, one-line RMSProp average, np.subtract with out=
    lazy_rmsprop = build(
        "RMSProp",
        ("if self.h is None:", "if False:"),
        ("self.h = None", "self.h = {}"),
        (RMS_D, "h = self.h.setdefault(key, np.zeros_like(params[key]))"),
        (RMS_H, "h[...] = self.decay_rate * h + (1 - self.decay_rate) * grad[key] ** 2"),
        (
            ADA_P,
            "np.subtract(params[key], self.learning_rate * grad[key] / (h ** 0.5 + self.theta), out=params[key])",
        ),
    )
    # ゼロつく's Adam with θ scaled so that it equals η m̂ / (√v̂ + θ)
    zerotsuku_adam = build(
        "Adam",
        (
            ADAM_P,
            "lr_t = self.learning_rate * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)\n"
            "            eps = self.theta * np.sqrt(1 - self.beta2**self.t)\n"
            "            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + eps)",
        ),
    )
    # reversed signs of v that cancel out
    flipped = build(
        "Momentum",
        ("- self.learning_rate * grad[key]", "+ self.learning_rate * grad[key]"),
        (MOM_P, "params[key] -= self.v[key]"),
    )
    for cls, name in (
        (torch_momentum, "Momentum"),
        (lazy_rmsprop, "RMSProp"),
        (zerotsuku_adam, "Adam"),
        (flipped, "Momentum"),
    ):
        result = check_implementation(cls, name)
        assert result.passed, (name, result.message)
    # lropt's own classes pass, of course
    for name, cls in OPTIMIZERS.items():
        assert check_implementation(cls, name).passed


class _Skeleton:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.learning_rate = learning_rate
        self.momentum = momentum

    def update(self, params, grad):
        raise NotImplementedError


class _EmptySkeleton(_Skeleton):
    def update(self, params, grad):
        """Write the update here."""
        pass


class _UnfinishedInit:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        raise NotImplementedError


def test_skeletons_are_unimplemented_not_errors():
    for cls in (_Skeleton, _EmptySkeleton, _UnfinishedInit):
        result = check_implementation(cls, "Momentum")
        assert not result.passed and result.kind == "unimplemented"
        assert result.message.startswith("未実装です")
        assert "未実装です" in repr(result) and "未実装です" in result._repr_html_()
        assert not re.search(r"Error|Warning|Traceback", result.message + result._repr_html_())


def test_checker_refuses_non_classes_and_unknown_names():
    assert check_implementation(SGD(), "SGD").kind == "not_a_class"
    with pytest.raises(ValueError, match="name"):
        check_implementation(SGD, "Nesterov")


def test_generic_mismatch_says_where_and_how_much():
    # no parentheses: 1 - ρ·g² instead of (1 - ρ)·g²
    cls = build("RMSProp", (RMS_H, "self.h[key] += 1 - self.decay_rate * grad[key] * grad[key]"))
    result = check_implementation(cls, "RMSProp")
    assert result.kind == "mismatch"
    assert re.search(
        r"問題 1（キー 'w' \(3,\)、η = 0.01、ρ = 0.99、θ = 1e-07、3 ステップ）のステップ 1", result.message
    )
    assert "最大の差" in result.message and "参照" in result.message


def test_checks_after_the_values_come_in_order_and_name_every_default():
    """Right numbers but grad written into: that is reported before the defaults; two wrong defaults are both named."""
    both = build(
        "Momentum",
        ("learning_rate=0.01, momentum=0.9", "learning_rate=0.1, momentum=0.5"),
        (
            MOM_V,
            "grad[key] *= self.learning_rate\n            self.v[key] = self.momentum * self.v[key] - grad[key]",
        ),
    )
    assert check_implementation(both, "Momentum").kind == "grad_modified"
    defaults = build("Momentum", ("learning_rate=0.01, momentum=0.9", "learning_rate=0.1, momentum=0.5"))
    message = check_implementation(defaults, "Momentum").message
    assert "learning_rate=0.1（lropt は learning_rate=0.01）" in message
    assert "momentum=0.5（lropt は momentum=0.9）" in message
    # an int default equal to lropt's float is the same default; a class constant that is not state is fine
    fine = build(
        "AdaGrad",
        ("initial_h=0.0", "initial_h=0"),
        ("class MyAdaGrad:\n", "class MyAdaGrad:\n    NAME = 'AdaGrad'\n    KEYS = ()\n\n"),
    )
    assert check_implementation(fine, "AdaGrad").passed


def test_checker_is_deterministic():
    cls = build("Adam", (ADAM_V, "v_hat = self.v[key]"))
    assert check_implementation(cls, "Adam") == check_implementation(cls, "Adam")


# ---------------------------------------------------------------------------------------------------------
# the quiz notebook: its model solutions pass and its skeletons are unimplemented
# ---------------------------------------------------------------------------------------------------------


def _notebook_cells():
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def test_model_solutions_in_the_notebook_pass():
    cells = _notebook_cells()
    solutions = [
        block
        for c in cells
        if c["cell_type"] == "markdown" and "模範解答" in "".join(c["source"])
        for block in re.findall(r"```py\n(.*?)```", "".join(c["source"]), flags=re.S)
    ]
    assert len(solutions) == 4
    for source in solutions:
        namespace = {"np": np}
        exec(compile(source, "<solution>", "exec"), namespace)
        (cls,) = [v for k, v in namespace.items() if k.startswith("My")]
        name = cls.__name__.removeprefix("My")
        result = check_implementation(cls, name)
        assert result.passed, (name, result.message)


def test_notebook_skeletons_are_unimplemented():
    cells = _notebook_cells()
    skeletons = [
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "code" and "\nclass My" in "\n" + "".join(c["source"])
    ]
    names = []
    for source in skeletons:
        namespace: dict = {"np": np, "check_implementation": check_implementation}
        exec(compile(source, "<skeleton>", "exec"), namespace)
        for k, v in namespace.items():
            if (
                k.startswith("My")
                and isinstance(v, type)
                and k.removeprefix("My") in ("Momentum", "AdaGrad", "RMSProp", "Adam")
            ):
                names.append(k)
                assert check_implementation(v, k.removeprefix("My")).kind == "unimplemented"
    assert sorted(names) == ["MyAdaGrad", "MyAdam", "MyMomentum", "MyRMSProp"]


# a forgotten factor is not a hard-coded number: the message must fit both
FORGOTTEN = [
    (
        "AdaGrad",
        "learning_rate",
        [(ADA_P, "params[key] -= grad[key] / (np.sqrt(self.h[key]) + self.theta)")],
        "",
    ),
    ("RMSProp", "learning_rate", [("self.learning_rate * grad", "grad")], ""),
    ("Adam", "learning_rate", [(ADAM_P, "params[key] -= m_hat / (np.sqrt(v_hat) + self.theta)")], ""),
    (
        "Adam",
        "beta1",
        [(ADAM_P, "params[key] -= self.learning_rate * grad[key] / (np.sqrt(v_hat) + self.theta)")],
        "grad[key]` をそのまま",
    ),
    (
        "Adam",
        "beta2",
        [(ADAM_P, "params[key] -= self.learning_rate * m_hat / (np.abs(grad[key]) + self.theta)")],
        "√ で割ります",
    ),
]


@pytest.mark.parametrize(("name", "arg", "edits", "hint"), FORGOTTEN)
def test_forgotten_hyperparameter_is_not_called_hard_coded(name, arg, edits, hint):
    result = check_implementation(build(name, *edits), name)
    assert not result.passed and result.kind == f"hardcoded_{arg}", (result.kind, result.message)
    assert f"`self.{arg}`" in result.message and "掛け忘れ" in result.message, result.message
    assert hint in result.message


def test_a_constant_in_the_class_body_is_not_shared_state():
    """Only class-level containers that the updates change are state; a constant list is fine."""
    cls = build(
        "Adam", ("class MyAdam:\n", 'class MyAdam:\n    NAMES = ["m", "v"]\n    TABLE = {"beta": [0.9]}\n\n')
    )
    assert cls.NAMES == ["m", "v"]
    result = check_implementation(cls, "Adam")
    assert result.passed, result.message


@pytest.mark.parametrize(
    ("qid", "answer", "correct"),
    [
        ("adam-fill", "(self.beta1**self.t)", True),
        ("adam-fill", "math.pow(self.beta1, self.t)", True),
        ("rmsprop-fill", "(1.0 - self.decay_rate)", True),
        ("rmsprop-fill", "1 - self.decay_rate", False),  # without brackets only ρ is multiplied by g²
        ("adagrad-fill", "self.h[key]**(1/2)", True),
        ("adagrad-fill", "np.power(self.h[key], 0.5)", True),
        ("adagrad-fill", "self.h[key]", False),
    ],
)
def test_fill_blanks_accept_common_equivalent_spellings(qid, answer, correct):
    question = next(q for q in questions() if q.id == qid)
    assert grade(question, answer).correct is correct
