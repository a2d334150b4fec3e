"""Self-grading questions and code-exercise checkers (確認テスト).

Questions are data (``lropt/data/quiz.yaml``); one source gives two renderings (DESIGN §7):

* :func:`show_quiz` returns a :class:`Quiz` whose display bundle carries the live ipywidgets version (RadioButtons,
  FloatText or Text, a 答え合わせ button and an HTML feedback line; no ``Output`` widget, DESIGN §9) and a
  kernel-free ``text/html`` version for the static site (plain HTML and one small inline script, no CDN) that
  grades on click with the same rules as :func:`grade`.
* :func:`grade` is the pure grading function both renderings follow.

:func:`check_implementation` runs a learner's optimizer class against the reference in
:mod:`lropt.optimizers` on seeded random problems and explains in Japanese what is wrong (符号, √, θ の位置,
ρ と 1 − ρ, 偏りの補正, ステップ数, キーごとの状態, 書き込んだハイパーパラメータ, その場で更新していない, 例外).
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import html
import inspect
import json
import math
import re
import textwrap
import traceback
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import yaml

from lropt.optimizers import OPTIMIZERS

__all__ = [
    "CHAPTERS",
    "Question",
    "Verdict",
    "Quiz",
    "CheckResult",
    "questions",
    "grade",
    "show_quiz",
    "check_implementation",
]

CHAPTERS: dict[str, str] = {
    "learning_rate": "第1章 学習率",
    "momentum": "第2章 モメンタム",
    "adagrad": "第3章 AdaGrad",
    "rmsprop": "第4章 RMSProp",
    "adam": "第5章 Adam",
    "comparison": "第6章 比較",
    "seed": "学習メモ",
}
"""Chapter keys of the questions and their Japanese names."""

KINDS: dict[str, str] = {"choice": "選択", "numeric": "計算", "fill": "穴埋め"}
"""Question kinds (問題の種類) and their Japanese labels."""

BLANK = "____"
"""The blank in the code line of a fill-in question (穴埋め)."""

LETTERS = "アイウエオカキク"
"""Labels of the choices, as in Japanese exams."""

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_SPACE = re.compile(r"[ \t\n\r\f\v]")


# ---------------------------------------------------------------------------------------------------------
# question data
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One question (問題).

    ``choice``: ``choices`` and the index ``answer``; ``numeric``: the number ``answer`` and an absolute
    ``tolerance`` (許容誤差), with the inputs of the computation in ``check`` (tests recompute the answer with
    :mod:`lropt.optimizers`); ``fill``: a code line ``code`` with one blank ``____`` and the accepted
    ``answers`` (compared after removing white space, :func:`normalise`).
    """

    id: str
    chapter: str
    kind: str
    text: str
    explanation: str
    choices: tuple[str, ...] = ()
    answer: Any = None
    tolerance: float | None = None
    code: str | None = None
    answers: tuple[str, ...] = ()
    check: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    @property
    def expected(self) -> str:
        """The correct answer as shown to the learner."""
        if self.kind == "choice":
            choice = _plain(self.choices[self.answer])
            short = len(choice) <= 40 and "\n" not in choice
            return f"{LETTERS[self.answer]}「{choice}」" if short else LETTERS[self.answer]
        if self.kind == "numeric":
            return _number_text(self.answer)
        return f"「{self.answers[0]}」"


def _number_text(x: float) -> str:
    return f"{x:.6g}".replace("-", "−")


def _plain(text: str) -> str:
    """Text without the backticks that mark code."""
    return text.replace("`", "")


def _question(raw: dict[str, Any]) -> Question:
    qid = raw.get("id")
    where = f"問題 {qid!r}"
    allowed = {
        "id",
        "chapter",
        "kind",
        "text",
        "explanation",
        "choices",
        "answer",
        "tolerance",
        "code",
        "answers",
    }
    unknown = set(raw) - allowed - {"check"}
    if unknown:
        raise ValueError(f"{where}: 知らない項目 {sorted(unknown)}")
    if not isinstance(qid, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", qid):
        raise ValueError(f"問題の id は英小文字・数字・ハイフンの文字列です。受け取った値: {qid!r}")
    if raw.get("chapter") not in CHAPTERS:
        raise ValueError(
            f"{where}: chapter は {list(CHAPTERS)} のどれかです。受け取った値: {raw.get('chapter')!r}"
        )
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{where}: kind は {list(KINDS)} のどれかです。受け取った値: {kind!r}")
    for name in ("text", "explanation"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise ValueError(f"{where}: {name} がありません")
    q = Question(
        id=qid,
        chapter=raw["chapter"],
        kind=kind,
        text=raw["text"].strip(),
        explanation=raw["explanation"].strip(),
        choices=tuple(str(c).strip() for c in raw.get("choices", ())),
        answer=raw.get("answer"),
        tolerance=raw.get("tolerance"),
        code=raw.get("code"),
        answers=tuple(str(a) for a in raw.get("answers", ())),
        check=raw.get("check"),
    )
    if kind == "choice":
        if not 2 <= len(q.choices) <= len(LETTERS) or len(set(q.choices)) != len(q.choices):
            raise ValueError(f"{where}: choices は 2〜{len(LETTERS)} 個の異なる選択肢です")
        if isinstance(q.answer, bool) or not isinstance(q.answer, int) or not 0 <= q.answer < len(q.choices):
            raise ValueError(
                f"{where}: answer は正しい選択肢 1 つの番号（0 から）です。受け取った値: {q.answer!r}"
            )
    elif kind == "numeric":
        if isinstance(q.answer, bool) or not isinstance(q.answer, int | float) or not math.isfinite(q.answer):
            raise ValueError(f"{where}: answer は有限の数です。受け取った値: {q.answer!r}")
        tol = q.tolerance
        if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 < tol < math.inf:
            raise ValueError(f"{where}: tolerance は正の数です。受け取った値: {tol!r}")
        object.__setattr__(q, "answer", float(q.answer))
        object.__setattr__(q, "tolerance", float(tol))
    else:
        if not isinstance(q.code, str) or q.code.count(BLANK) != 1:
            raise ValueError(f"{where}: code は空欄 {BLANK} を 1 つ含むコードの行です")
        if not q.answers or any(not normalise(a) for a in q.answers):
            raise ValueError(f"{where}: answers に正解を 1 つ以上書いてください")
    return q


@functools.lru_cache(maxsize=1)
def _all_questions() -> tuple[Question, ...]:
    text = resources.files("lropt").joinpath("data", "quiz.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    items = tuple(_question(r) for r in raw["questions"])
    ids = [q.id for q in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"問題の id が重複しています: {dupes}")
    return items


def questions(chapter: str | None = None) -> list[Question]:
    """The questions of one chapter key (see :data:`CHAPTERS`), or all of them, in the data file's order."""
    if chapter is not None and chapter not in CHAPTERS:
        raise ValueError(
            f"引数 chapter は {list(CHAPTERS)} のどれか（または None）です。受け取った値: {chapter!r}"
        )
    return [q for q in _all_questions() if chapter is None or q.chapter == chapter]


# ---------------------------------------------------------------------------------------------------------
# grading
# ---------------------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Text compared by the fill-in grading: NFKC (全角 → 半角), '−' → '-', all white space removed.

    The static page's script does exactly the same.
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).replace("\u2212", "-"))


def parse_number(text: str) -> float | None:
    """A number typed by the learner (after :func:`normalise`), or None when it is not a finite decimal number."""
    t = normalise(text)
    if not _NUMBER.fullmatch(t):
        return None
    x = float(t)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Verdict:
    """The result of :func:`grade`: ``correct``, whether an answer was given, a Japanese message and the
    explanation (解説, empty while nothing was answered)."""

    correct: bool
    answered: bool
    message: str
    explanation: str

    def to_html(self) -> str:
        """The feedback shown under the question (the same HTML in Jupyter and on the static site)."""
        if not self.answered:
            return f'<div style="{_NOTE_STYLE}">{html.escape(self.message)}</div>'
        style = _OK_STYLE if self.correct else _NG_STYLE
        mark = "✔" if self.correct else "✘"
        return (
            f'<div style="{style}"><strong>{mark} {html.escape(self.message)}</strong>'
            f'<div style="margin-top:.35em">解説: {_rich(self.explanation)}</div></div>'
        )


_OK_STYLE = "border-left:4px solid #1a7f37;background:#e9f7ee;padding:.45em .7em;margin:.3em 0;color:#111"
_NG_STYLE = "border-left:4px solid #c00000;background:#fdeeee;padding:.45em .7em;margin:.3em 0;color:#111"
_NOTE_STYLE = "border-left:4px solid #888;background:#f3f3f3;padding:.45em .7em;margin:.3em 0;color:#111"


def _verdict_ok(q: Question) -> Verdict:
    return Verdict(True, True, "正解です。", q.explanation)


def _verdict_wrong(q: Question) -> Verdict:
    if q.kind == "numeric":
        tol = _number_text(q.tolerance or 0.0).replace("−", "")
        message = f"不正解です。正解は {q.expected} です（許容誤差 ±{tol}）。"
    else:
        message = f"不正解です。正解は{q.expected}です。"
    return Verdict(False, True, message, q.explanation)


def _verdict_empty(q: Question) -> Verdict:
    message = {
        "choice": "選択肢を 1 つ選んでください。",
        "numeric": "数値を入力してください（例: 0.5、-1.2、3e-4）。",
        "fill": "空欄に入るものを入力してください。",
    }[q.kind]
    return Verdict(False, False, message, "")


def grade(question: Question, answer: Any) -> Verdict:
    """Grade one answer (pure; the widget and the static page follow the same rules).

    ``choice``: the index of the chosen option (None when nothing is chosen). ``numeric``: a number or the typed
    text; correct when ``|answer − expected| ≤ tolerance``. ``fill``: the typed text; correct when it equals one of
    the accepted answers after :func:`normalise`.
    """
    q = question
    if q.kind == "choice":
        if isinstance(answer, bool) or not isinstance(answer, int | np.integer):
            return _verdict_empty(q)
        if not 0 <= int(answer) < len(q.choices):
            return _verdict_empty(q)
        return _verdict_ok(q) if int(answer) == q.answer else _verdict_wrong(q)
    if q.kind == "numeric":
        if isinstance(answer, str):
            x = parse_number(answer)
        elif isinstance(answer, int | float | np.integer | np.floating) and not isinstance(answer, bool):
            x = float(answer) if math.isfinite(float(answer)) else None
        else:
            x = None
        if x is None:
            return _verdict_empty(q)
        return _verdict_ok(q) if abs(x - q.answer) <= q.tolerance else _verdict_wrong(q)
    if not isinstance(answer, str) or not normalise(answer):
        return _verdict_empty(q)
    accepted = {normalise(a) for a in q.answers}
    return _verdict_ok(q) if normalise(answer) in accepted else _verdict_wrong(q)


# ---------------------------------------------------------------------------------------------------------
# rendering: live widget and static HTML
# ---------------------------------------------------------------------------------------------------------


def _rich(text: str) -> str:
    """Plain text → HTML: `code` spans and line breaks."""
    parts = html.escape(text).split("`")
    out = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    return out.replace("\n", "<br>")


def _head_html(q: Question, number: int) -> str:
    return (
        f'<div style="margin:.2em 0 .3em"><strong>問 {number}</strong>'
        f'<span style="font-size:.8em;color:#555;margin-left:.5em">［{KINDS[q.kind]}］</span> {_rich(q.text)}</div>'
    )


def _code_html(q: Question, blank: str) -> str:
    before, after = (q.code or "").split(BLANK)
    return (
        '<pre style="margin:.3em 0;padding:.4em .6em;background:#f6f8fa;white-space:pre-wrap">'
        f"<code>{html.escape(before)}{blank}{html.escape(after)}</code></pre>"
    )


def question_widget(q: Question, number: int = 1) -> Any:
    """The live ipywidgets form of one question: text, input, 答え合わせ button, feedback (widgets.HTML)."""
    import ipywidgets as widgets

    parts: list[Any] = [widgets.HTML(_head_html(q, number))]
    full = {"description_width": "initial"}
    if q.kind == "choice":
        listing = "".join(
            f'<div style="margin:.15em 0 .15em 1em">{LETTERS[i]}. {_rich(c)}</div>'
            for i, c in enumerate(q.choices)
        )
        parts.append(widgets.HTML(listing))
        control: Any = widgets.RadioButtons(
            options=[(LETTERS[i], i) for i in range(len(q.choices))],
            value=None,
            orientation="horizontal",
            description="答え",
            style=full,
        )
    elif q.kind == "numeric":
        control = widgets.FloatText(value=0.0, description="答え", style=full)
    else:
        parts.append(
            widgets.HTML(_code_html(q, '<span style="border-bottom:2px solid #333">［　空欄　］</span>'))
        )
        control = widgets.Text(
            value="",
            placeholder="空欄に入るもの",
            description="空欄",
            style=full,
            layout=widgets.Layout(width="min(100%, 560px)"),
        )
    button = widgets.Button(description="答え合わせ", button_style="primary")
    feedback = widgets.HTML("")

    def check(_: Any = None) -> None:
        feedback.value = grade(q, control.value).to_html()

    button.on_click(check)
    parts += [control, button, feedback]
    box = widgets.VBox(parts, layout=widgets.Layout(margin="0 0 1em 0"))
    box.question, box.control, box.button, box.feedback = q, control, button, feedback
    return box


class Quiz:
    """Questions shown together: a live widget in Jupyter, plain HTML + JS on the static site."""

    def __init__(self, items: Sequence[Question], title: str = "") -> None:
        if not items:
            raise ValueError("表示する問題がありません。")
        self.questions = tuple(items)
        self.title = title

    def widget(self) -> Any:
        """One VBox of :func:`question_widget` boxes."""
        import ipywidgets as widgets

        return widgets.VBox([question_widget(q, i + 1) for i, q in enumerate(self.questions)])

    def _data(self) -> list[dict[str, Any]]:
        data = []
        for q in self.questions:
            item: dict[str, Any] = {
                "k": q.kind,
                "ok": _verdict_ok(q).to_html(),
                "ng": _verdict_wrong(q).to_html(),
                "e": _verdict_empty(q).to_html(),
            }
            if q.kind == "choice":
                item["a"] = q.answer
            elif q.kind == "numeric":
                item["a"], item["t"] = q.answer, q.tolerance
            else:
                item["f"] = sorted({normalise(a) for a in q.answers})
            data.append(item)
        return data

    def to_html(self) -> str:
        """Self-contained HTML (no kernel, no CDN); the id is a hash of the content (deterministic)."""
        payload = json.dumps(self._data(), ensure_ascii=False, separators=(",", ":"))
        uid = "lropt-quiz-" + hashlib.sha1(payload.encode()).hexdigest()[:10]
        blocks = []
        for i, q in enumerate(self.questions):
            body = [_head_html(q, i + 1)]
            if q.kind == "choice":
                body.append('<div class="lropt-q-choices">')
                for j, c in enumerate(q.choices):
                    body.append(
                        '<label style="display:flex;gap:.4em;align-items:baseline;margin:.2em 0 .2em 1em;cursor:pointer">'
                        f'<input type="radio" name="{uid}-{i}" value="{j}"><span>{LETTERS[j]}. {_rich(c)}</span></label>'
                    )
                body.append("</div>")
            elif q.kind == "numeric":
                body.append(
                    '<label style="margin-left:1em">答え: <input type="text" class="lropt-q-input" '
                    'inputmode="decimal" autocomplete="off" size="14" aria-label="答え"></label>'
                )
            else:
                field_ = (
                    '<input type="text" class="lropt-q-input" autocomplete="off" spellcheck="false" '
                    'aria-label="空欄" style="font-family:inherit;font-size:inherit;width:16em;max-width:60%">'
                )
                body.append(_code_html(q, field_))
            body.append(
                '<div><button type="button" class="lropt-q-check" style="margin:.4em 0 .2em 1em;'
                'padding:.25em 1em;cursor:pointer">答え合わせ</button></div>'
                '<div class="lropt-q-feedback" aria-live="polite"></div>'
            )
            blocks.append(
                f'<div class="lropt-q" data-qid="{html.escape(q.id)}" style="margin:0 0 1.1em">{"".join(body)}</div>'
            )
        safe = payload.replace("</", "<\\/")
        return (
            # color-scheme: the theme keeps outputs light in dark mode, and dark native radio buttons on that
            # light panel looked checked when they were not
            f'<div class="lropt-quiz" id="{uid}" style="color-scheme:light">{"".join(blocks)}'
            f'<script type="application/json" class="lropt-quiz-data">{safe}</script>'
            f"<script>{_SCRIPT.replace('__UID__', uid)}</script></div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget()._repr_mimebundle_())
        bundle["text/html"] = self.to_html()
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        title = self.title or "確認問題"
        return f"<{title}: {len(self.questions)} 問（" + "、".join(q.id for q in self.questions) + "）>"


_SCRIPT = """(function(){
var s=document.currentScript,root=s&&s.parentNode;
if(!root||!root.classList||!root.classList.contains("lropt-quiz"))root=document.getElementById("__UID__");
if(!root||root.getAttribute("data-ready"))return;root.setAttribute("data-ready","1");
var n=window.lroptQuizCount=(window.lroptQuizCount||0)+1;
var data=JSON.parse(root.querySelector("script.lropt-quiz-data").textContent);
var NUM=/^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?$/;
function norm(t){return t.normalize("NFKC").replace(/\\u2212/g,"-").replace(/[ \\t\\n\\r\\f\\v]/g,"");}
function grade(d,q){
if(d.k==="choice"){var c=q.querySelector("input[type=radio]:checked");if(!c)return"e";return +c.value===d.a?"ok":"ng";}
var v=norm(q.querySelector("input.lropt-q-input").value);
if(d.k==="numeric"){if(!NUM.test(v))return"e";var x=parseFloat(v);if(!isFinite(x))return"e";
return Math.abs(x-d.a)<=d.t?"ok":"ng";}
if(!v)return"e";return d.f.indexOf(v)>=0?"ok":"ng";}
var qs=root.querySelectorAll(".lropt-q");
for(var i=0;i<qs.length;i++){(function(q,d,i){
var radios=q.querySelectorAll("input[type=radio]");
for(var j=0;j<radios.length;j++)radios[j].name=root.id+"-"+n+"-"+i;
var fb=q.querySelector(".lropt-q-feedback");
function check(){var r=grade(d,q);fb.innerHTML=d[r];q.setAttribute("data-verdict",r);}
q.querySelector("button.lropt-q-check").addEventListener("click",check);
var inp=q.querySelector("input.lropt-q-input");
if(inp)inp.addEventListener("keydown",function(ev){if(ev.key==="Enter"){ev.preventDefault();check();}});
})(qs[i],data[i],i);}
})();"""


def show_quiz(chapter: str | None = None, ids: Sequence[str] | None = None) -> Quiz:
    """The questions of a chapter key (or all), optionally only ``ids`` (in that order), ready to display.

    In Jupyter the cell shows ipywidgets with a 答え合わせ button; on the static site the same questions grade
    themselves in plain JavaScript.
    """
    pool = questions(chapter)
    if ids is None:
        chosen = pool
    else:
        if isinstance(ids, str):
            ids = [ids]
        by_id = {q.id: q for q in pool}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise ValueError(
                f"問題が見つかりません: {missing}（chapter={chapter!r}）。有効な id: {sorted(by_id)}"
            )
        chosen = [by_id[i] for i in ids]
    title = CHAPTERS[chapter] + "の確認問題" if chapter else "確認問題"
    return Quiz(chosen, title)


# ---------------------------------------------------------------------------------------------------------
# code exercises: check_implementation
# ---------------------------------------------------------------------------------------------------------

_ARGS: dict[str, tuple[str, ...]] = {
    "SGD": ("learning_rate",),
    "Momentum": ("learning_rate", "momentum"),
    "AdaGrad": ("learning_rate", "theta", "initial_h"),
    "RMSProp": ("learning_rate", "decay_rate", "theta"),
    "Adam": ("learning_rate", "beta1", "beta2", "theta"),
}
"""The fixed constructor arguments (DESIGN §2)."""

_SYMBOLS = {
    "learning_rate": "η",
    "momentum": "μ",
    "theta": "θ",
    "initial_h": "h₀",
    "decay_rate": "ρ",
    "beta1": "β₁",
    "beta2": "β₂",
}

_HYPER: dict[str, list[dict[str, float]]] = {
    "SGD": [{"learning_rate": v} for v in (0.1, 0.05, 0.3, 0.02)],
    "Momentum": [
        {"learning_rate": a, "momentum": b} for a, b in ((0.1, 0.9), (0.05, 0.5), (0.3, 0.8), (0.02, 0.7))
    ],
    "AdaGrad": [
        {"learning_rate": a, "theta": b, "initial_h": c}
        for a, b, c in ((0.1, 1e-7, 0.0), (0.05, 1e-7, 0.0), (0.3, 1e-6, 0.0), (0.2, 1.0, 0.5))
    ],
    "RMSProp": [
        {"learning_rate": a, "decay_rate": b, "theta": c}
        for a, b, c in ((0.01, 0.99, 1e-7), (0.05, 0.9, 1e-7), (0.1, 0.5, 1e-6), (0.02, 0.8, 1.0))
    ],
    "Adam": [
        {"learning_rate": a, "beta1": b, "beta2": c, "theta": d}
        for a, b, c, d in (
            (0.001, 0.9, 0.999, 1e-8),
            (0.05, 0.8, 0.9, 1e-8),
            (0.1, 0.5, 0.7, 1e-7),
            (0.02, 0.7, 0.95, 0.5),
        )
    ],
}
"""Hyper-parameters of the four problems: non-default values, and a large θ (and h₀) in the last one."""

_SHAPES: list[tuple[dict[str, tuple[int, ...]], int]] = [
    ({"w": (3,)}, 3),
    ({"W": (2, 3)}, 4),
    ({"W1": (2, 2), "W2": (2, 2)}, 4),  # same shapes: state shared across keys shows up as numbers
    ({"W1": (3, 2), "b1": (2,), "W2": (2, 1)}, 3),
]
"""Keys, shapes and number of steps of the four problems."""

_RTOL, _ATOL = 1e-7, 1e-10


@dataclass(frozen=True)
class _Problem:
    index: int
    hyper: dict[str, float]
    params: dict[str, np.ndarray]
    grads: tuple[dict[str, np.ndarray], ...]

    def describe(self) -> str:
        keys = "、".join(f"{k!r} {v.shape}" for k, v in self.params.items())
        hyper = "、".join(f"{_SYMBOLS[k]} = {v:g}" for k, v in self.hyper.items())
        return f"キー {keys}、{hyper}、{len(self.grads)} ステップ"

    def fresh(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.params.items()}


def _problems(name: str) -> list[_Problem]:
    out = []
    for i, ((shapes, steps), hyper) in enumerate(zip(_SHAPES, _HYPER[name], strict=True)):
        rng = np.random.default_rng(20240 + i)
        params = {k: rng.normal(size=s) for k, s in shapes.items()}
        scales = {k: (0.3, 1.0, 3.0)[j % 3] for j, k in enumerate(shapes)}
        grads = tuple({k: scales[k] * rng.normal(size=s) for k, s in shapes.items()} for _ in range(steps))
        out.append(_Problem(i + 1, dict(hyper), params, grads))
    return out


@dataclass
class _Run:
    """What one implementation did on one problem: params after each step; an exception stops the run."""

    steps: list[dict[str, np.ndarray]] = field(default_factory=list)
    rebound: bool = False
    grad_modified: bool = False
    error: BaseException | None = None


def _quiet() -> Any:
    class _Ctx:
        def __enter__(self) -> None:
            self._w = warnings.catch_warnings()
            self._w.__enter__()
            warnings.simplefilter("ignore")
            self._e = np.errstate(all="ignore")
            self._e.__enter__()

        def __exit__(self, *exc: Any) -> None:
            self._e.__exit__(*exc)
            self._w.__exit__(*exc)

    return _Ctx()


def _run_object(opt: Any, problem: _Problem) -> _Run:
    run = _Run()
    params = problem.fresh()
    originals = dict(params)
    for g in problem.grads:
        grad = {k: v.copy() for k, v in g.items()}
        try:
            with _quiet():
                opt.update(params, grad)
        except Exception as exc:  # the learner's code: explained, never re-raised
            run.error = exc
            return run
        if any(params.get(k) is not originals[k] for k in originals):
            run.rebound = True
        if not run.grad_modified:
            run.grad_modified = _changed(grad, g)
        try:
            run.steps.append({k: np.array(params[k], dtype=float, copy=True) for k in originals})
        except Exception as exc:  # a key removed, or replaced by something that is not numbers
            run.error = exc
            return run
    return run


def _changed(grad: Any, original: dict[str, np.ndarray]) -> bool:
    """True when ``update`` wrote into the gradient it was given (its keys or the numbers in its arrays)."""
    try:
        if set(grad) != set(original):
            return True
        return not all(np.array_equal(np.asarray(grad[k]), v, equal_nan=True) for k, v in original.items())
    except Exception:  # replaced by something that is not an array of numbers
        return True


def _class_containers(user_class: type) -> dict[str, object]:
    """Copies of the containers (dict, list, set, array) defined on the class itself or a base class."""
    found: dict[str, object] = {}
    for klass in user_class.__mro__[:-1]:  # not object
        for attr, value in vars(klass).items():
            if attr.startswith("__") or attr in found:
                continue  # __annotations__, __dict__, ...
            if isinstance(value, dict | list | set | np.ndarray):
                try:
                    found[attr] = copy.deepcopy(value)
                except Exception:  # an uncopyable object inside: compare by identity only
                    found[attr] = value
    return found


def _same_contents(a: object, b: object) -> bool:
    """Equal contents, element by element for arrays (nan equal to nan), recursively for dicts and lists."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        try:
            return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=True))
        except TypeError:  # equal_nan on a non-numeric dtype
            return bool(np.array_equal(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_contents(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(map(_same_contents, a, b))
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _class_level_state(user_class: type, before: dict[str, object]) -> list[str]:
    """Names of containers defined on the class itself that the runs changed (``before``: from
    :func:`_class_containers` ahead of them).

    ``h = {}`` written in the class body (instead of ``self.h = ...`` in ``__init__``) is one dict shared by every
    instance: a second optimizer continues from the first one's state. A constant such as ``NAMES = ["m", "v"]``
    that no update touches is fine.
    """
    after = _class_containers(user_class)
    return [
        attr for attr, value in after.items() if attr not in before or not _same_contents(before[attr], value)
    ]


def _default_mismatches(user_class: type, name: str) -> list[str]:
    """The constructor's defaults that differ from lropt's (or are missing), as Japanese phrases."""
    try:
        user = inspect.signature(user_class).parameters
    except (TypeError, ValueError):
        return []
    reference = inspect.signature(OPTIMIZERS[name]).parameters
    out = []
    for arg in _ARGS[name]:
        if arg not in user:
            continue  # taken through **kwargs: the runs above already built the class with it
        want, got = reference[arg].default, user[arg].default
        if got is inspect.Parameter.empty:
            out.append(f"{arg} に既定値がありません（lropt は {arg}={want!r}）")
        elif not (isinstance(got, int | float) and not isinstance(got, bool) and got == want):
            out.append(f"{arg}={got!r}（lropt は {arg}={want!r}）")
    return out


def _simulate(rule: Callable[..., None], problem: _Problem) -> _Run:
    run = _Run()
    params = problem.fresh()
    state: dict[str, Any] = {}
    for g in problem.grads:
        try:
            with _quiet():
                rule(state, params, g, problem.hyper)
        except Exception as exc:
            run.error = exc
            return run
        run.steps.append({k: v.copy() for k, v in params.items()})
    return run


def _same(a: _Run, b: _Run) -> bool:
    if len(a.steps) != len(b.steps) or (a.error is None) != (b.error is None):
        return False
    for sa, sb in zip(a.steps, b.steps, strict=True):
        for k in sb:
            x, y = sa.get(k), sb[k]
            if (
                x is None
                or x.shape != y.shape
                or not np.allclose(x, y, rtol=_RTOL, atol=_ATOL, equal_nan=True)
            ):
                return False
    return True


def _first_difference(user: _Run, ref: _Run) -> tuple[int, str, np.ndarray, np.ndarray] | None:
    for s, (su, sr) in enumerate(zip(user.steps, ref.steps, strict=False)):
        for k in sr:
            x, y = su[k], sr[k]
            if x.shape != y.shape or not np.allclose(x, y, rtol=_RTOL, atol=_ATOL, equal_nan=True):
                return s, k, x, y
    return None


# -------------------------------------------------------------- mistaken variants (よくある誤り)
def _arr(s: dict[str, Any], name: str, p: np.ndarray, fill: float = 0.0) -> np.ndarray:
    if name not in s:
        s[name] = np.full_like(p, fill)
    return s[name]


def _slot(state: dict[str, Any], key: str, shared: bool) -> dict[str, Any]:
    return state.setdefault("*" if shared else key, {})


def _sgd(state: dict, params: dict, grad: dict, hp: dict, *, sign: float = -1.0, lr: bool = True) -> None:
    for key in params:
        params[key] += sign * (hp["learning_rate"] if lr else 1.0) * grad[key]


def _momentum(
    state: dict,
    params: dict,
    grad: dict,
    hp: dict,
    *,
    sg: float = -1.0,
    sp: float = 1.0,
    order: bool = False,
    inertia: bool = True,
    lr: bool = True,
    shared: bool = False,
) -> None:
    mu = hp["momentum"] if inertia else 0.0
    eta = hp["learning_rate"] if lr else 1.0
    for key in params:
        s = _slot(state, key, shared)
        v = _arr(s, "v", params[key])
        if order:
            params[key] += sp * v
        s["v"] = mu * v + sg * eta * grad[key]
        if not order:
            params[key] += sp * s["v"]


def _denominator(h: np.ndarray, theta: float, root: str) -> np.ndarray:
    if root == "none":
        return h + theta
    if root == "inside":
        return np.sqrt(h + theta)
    return np.sqrt(h) + theta


def _adagrad(
    state: dict,
    params: dict,
    grad: dict,
    hp: dict,
    *,
    sign: float = -1.0,
    root: str = "ref",
    acc: str = "add",
    order: bool = False,
    h0: bool = True,
    shared: bool = False,
) -> None:
    for key in params:
        s = _slot(state, key, shared)
        h = _arr(s, "h", params[key], hp["initial_h"] if h0 else 0.0)
        g = grad[key]
        if order:
            params[key] += sign * hp["learning_rate"] * g / _denominator(h, hp["theta"], root)
        s["h"] = {"add": h + g * g, "overwrite": g * g, "linear": h + g}[acc]
        if not order:
            params[key] += sign * hp["learning_rate"] * g / _denominator(s["h"], hp["theta"], root)


def _rmsprop(
    state: dict,
    params: dict,
    grad: dict,
    hp: dict,
    *,
    sign: float = -1.0,
    root: str = "ref",
    mix: str = "ref",
    order: bool = False,
    shared: bool = False,
) -> None:
    rho = hp["decay_rate"]
    for key in params:
        s = _slot(state, key, shared)
        h = _arr(s, "h", params[key])
        g = grad[key]
        if order:
            params[key] += sign * hp["learning_rate"] * g / _denominator(h, hp["theta"], root)
        s["h"] = {
            "ref": rho * h + (1 - rho) * g * g,
            "swapped": (1 - rho) * h + rho * g * g,
            "no_one_minus": rho * h + g * g,
            "no_decay": h + (1 - rho) * g * g,
            "linear": rho * h + (1 - rho) * g,
        }[mix]
        if not order:
            params[key] += sign * hp["learning_rate"] * g / _denominator(s["h"], hp["theta"], root)


def _adam(
    state: dict,
    params: dict,
    grad: dict,
    hp: dict,
    *,
    sign: float = -1.0,
    root: str = "ref",
    bias: str = "both",
    counter: str = "ref",
    swap: str = "",
    scaled: bool = False,
    shared: bool = False,
) -> None:
    b1, b2, eta, theta = hp["beta1"], hp["beta2"], hp["learning_rate"], hp["theta"]
    t = state.get("t", 0)
    if counter == "ref":
        t += 1
    elif counter == "fixed":
        t = 1
    for key in params:
        if counter == "per_key":
            t += 1
        s = _slot(state, key, shared)
        m, v = _arr(s, "m", params[key]), _arr(s, "v", params[key])
        g = grad[key]
        # swap: "m", "v" or "both" — (1 − β) and β exchanged in that average
        s["m"] = (1 - b1) * m + b1 * g if swap in ("m", "both") else b1 * m + (1 - b1) * g
        s["v"] = (1 - b2) * v + b2 * g * g if swap in ("v", "both") else b2 * v + (1 - b2) * g * g
        c1 = 1 - np.float64(b1) ** t if bias in ("both", "m") else 1.0
        c2 = 1 - np.float64(b2) ** t if bias in ("both", "v") else 1.0
        if scaled:
            step = eta * np.sqrt(c2) / c1 * s["m"] / (np.sqrt(s["v"]) + theta)
        else:
            step = eta * (s["m"] / c1) / _denominator(s["v"] / c2, theta, root)
        params[key] += sign * step
    state["t"] = t + 1 if counter == "after" else t


def _variants(name: str) -> list[tuple[str, Callable[..., None]]]:
    p = functools.partial
    common = {
        "SGD": [("sign", p(_sgd, sign=1.0)), ("missing_lr", p(_sgd, lr=False))],
        "Momentum": [
            ("sign", p(_momentum, sg=1.0)),
            ("sign", p(_momentum, sp=-1.0)),
            ("order", p(_momentum, order=True)),
            ("no_momentum", p(_momentum, inertia=False)),
            ("missing_lr", p(_momentum, lr=False)),
            ("shared_state", p(_momentum, shared=True)),
        ],
        "AdaGrad": [
            ("sign", p(_adagrad, sign=1.0)),
            ("missing_sqrt", p(_adagrad, root="none")),
            ("theta_inside", p(_adagrad, root="inside")),
            ("overwrite", p(_adagrad, acc="overwrite")),
            ("no_square", p(_adagrad, acc="linear")),
            ("order", p(_adagrad, order=True)),
            ("hardcoded_initial_h", p(_adagrad, h0=False)),
            ("shared_state", p(_adagrad, shared=True)),
        ],
        "RMSProp": [
            ("sign", p(_rmsprop, sign=1.0)),
            ("missing_sqrt", p(_rmsprop, root="none")),
            ("theta_inside", p(_rmsprop, root="inside")),
            ("rho_swapped", p(_rmsprop, mix="swapped")),
            ("missing_one_minus_rho", p(_rmsprop, mix="no_one_minus")),
            ("missing_decay", p(_rmsprop, mix="no_decay")),
            ("no_square", p(_rmsprop, mix="linear")),
            ("order", p(_rmsprop, order=True)),
            ("shared_state", p(_rmsprop, shared=True)),
        ],
        "Adam": [
            ("sign", p(_adam, sign=1.0)),
            ("missing_sqrt", p(_adam, root="none")),
            ("theta_inside", p(_adam, root="inside")),
            ("no_bias_correction", p(_adam, bias="none")),
            ("partial_bias_correction", p(_adam, bias="m")),
            ("partial_bias_correction", p(_adam, bias="v")),
            ("counter", p(_adam, counter="fixed")),
            ("counter", p(_adam, counter="zero")),
            ("counter", p(_adam, counter="after")),
            ("counter_per_key", p(_adam, counter="per_key")),
            ("beta_swapped", p(_adam, swap="both")),
            ("beta_swapped", p(_adam, swap="m")),
            ("beta_swapped", p(_adam, swap="v")),
            ("theta_scaled", p(_adam, scaled=True)),
            ("shared_state", p(_adam, shared=True)),
        ],
    }
    return common[name]


_MISTAKES: dict[str, str] = {
    "sign": "符号が逆です。パラメータは勾配と逆向き（−η∇E の向き）に動かします。{sign_hint}",
    "missing_lr": "学習率 η（`self.learning_rate`）を掛け忘れています。",
    "no_momentum": "慣性の項 `self.momentum * self.v[key]` がありません。これでは SGD と同じです。",
    "order": "{order_hint}",
    "missing_sqrt": "√ を忘れています。分母は `{root}` です（勾配の二乗の平均の平方根で割るので、一歩がおよそ η になります）。",
    "theta_inside": (
        "θ が √ の内側にあります。分母は `{root}`（√ の外で θ を足す）で、θ を √ の中に入れると別の式になります。"
        "θ が小さいと差はわずかですが、θ が大きいと結果が変わります。"
    ),
    "overwrite": "h を蓄積していません。`self.h[key] = grad[key] * grad[key]` で上書きせず、`+=` で足し続けます。",
    "no_square": "h に勾配の二乗ではなく勾配そのものを足しています。`grad[key] * grad[key]` を足します。",
    "hardcoded_initial_h": (
        "h の初期値に `self.initial_h` を使っていません。最初の update で "
        "`np.full_like(val, self.initial_h)` として作ってください（initial_h = 0 なら np.zeros_like と同じです）。"
    ),
    "rho_swapped": (
        "(1 − ρ) と ρ が逆です。古い h に ρ を掛け（`self.h[key] *= self.decay_rate`）、"
        "新しい勾配の二乗に (1 − ρ) を掛けて足します（`(1 - self.decay_rate) * grad[key] * grad[key]`）。"
    ),
    "missing_one_minus_rho": "新しい勾配の二乗に (1 − ρ) を掛け忘れています（`(1 - self.decay_rate) * grad[key] * grad[key]`）。",
    "missing_decay": (
        "h に ρ を掛けていません（`self.h[key] *= self.decay_rate`）。これでは h が増え続け、AdaGrad と同じように"
        "歩幅が縮んでいきます。"
    ),
    "no_bias_correction": (
        "偏りの補正がありません。`m_hat = self.m[key] / (1 - self.beta1**self.t)`、"
        "`v_hat = self.v[key] / (1 - self.beta2**self.t)` を使って進みます（m と v は 0 から始まるので、"
        "補正しないと最初の数ステップの一歩の大きさが本来と違います）。"
    ),
    "partial_bias_correction": "偏りの補正が m と v の片方にしかありません。m̂ = m/(1 − β₁ᵗ) と v̂ = v/(1 − β₂ᵗ) の両方を使います。",
    "counter": (
        "ステップ数 `self.t` が正しく進んでいません。update のはじめに 1 回 `self.t += 1` として、その t で補正します。"
        "t が変わらないと補正 1 − βᵗ が毎回同じになり、増やす前の t = 0 で補正すると 1 − β⁰ = 0 で割ることになります"
        "（1 ステップ目は t = 1 です）。"
    ),
    "counter_per_key": (
        "ステップ数 `self.t` をキーごとに増やしています。`self.t += 1` は for 文の外で、1 回の update につき 1 回だけです。"
    ),
    "beta_swapped": "(1 − β) と β が逆です。`m = β₁·m + (1 − β₁)·g`、`v = β₂·v + (1 − β₂)·g²` です。",
    "theta_scaled": (
        "θ を √v̂ ではなく √v に足しています（『ゼロから作る Deep Learning』や Adam 論文の効率版 "
        "`lr_t = η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)` の形）。θ が小さければほとんど同じですが、本書（と PyTorch）の Adam は "
        "`η·m̂/(√v̂ + θ)` なので、θ が大きいと結果が変わります。"
    ),
    "shared_state": (
        "状態がキーごとに分かれていません。params のキーごとに別の配列を持ちます（`{state}[key]`）。"
        "今は 1 つの配列を全部のキーで使い回しています。"
    ),
    "hardcoded": (
        "{symbol}（`self.{arg}`）が結果に効いていません。{arg} を変えても結果が変わりませんでした。"
        "式の中でコンストラクタで受け取った `self.{arg}` を使っているか確かめてください"
        "（掛け忘れたときや、数値を直接書いたときに起きます）。{extra}"
    ),
}

_HARDCODED_HINT = {
    "theta": "（学習メモのコードは θ を `1e-7` と直接書いています。）",
    "beta1": (
        "Adam は勾配の移動平均 m（`m = β₁·m + (1 − β₁)·g`）を補正した m̂ で進みます。"
        "`grad[key]` をそのまま使っていませんか。"
    ),
    "beta2": (
        "Adam は勾配の二乗の移動平均 v（`v = β₂·v + (1 − β₂)·g²`）を補正した v̂ の √ で割ります。"
        "`|grad[key]|` などで割っていませんか。"
    ),
}

_SIGN_HINT = {
    "SGD": "`params[key] -= self.learning_rate * grad[key]` の `-=` を確かめてください。",
    "Momentum": "速度は `v ← μv − η∇E`、パラメータは `w ← w + v` です。どちらかの符号が逆になっています。",
    "AdaGrad": "`params[key] -= ...` の `-=` を確かめてください。",
    "RMSProp": "`params[key] -= ...` の `-=` を確かめてください。",
    "Adam": "`params[key] -= ...` の `-=` を確かめてください。",
}

_ORDER_HINT = {
    "Momentum": (
        "2 行の順番が逆です。先に速度 `self.v[key]` を更新し、その新しい v で `params[key] += self.v[key]` とします"
        "（今のままだと 1 ステップ目にパラメータが動きません）。"
    ),
    "AdaGrad": (
        "h を更新する前にパラメータを動かしています。先に h に今の勾配の二乗を加えてから割ります"
        "（今のままだと 1 ステップ目は θ で割るので、一歩がとても大きくなります）。"
    ),
}
_ORDER_HINT["RMSProp"] = _ORDER_HINT["AdaGrad"]

_ROOT = {
    "AdaGrad": "np.sqrt(self.h[key]) + self.theta",
    "RMSProp": "np.sqrt(self.h[key]) + self.theta",
    "Adam": "np.sqrt(v_hat) + self.theta",
}

_STATE = {"SGD": "self.v", "Momentum": "self.v", "AdaGrad": "self.h", "RMSProp": "self.h", "Adam": "self.m"}


def _mistake_message(name: str, kind: str) -> str:
    if kind.startswith("hardcoded_"):
        arg = kind.removeprefix("hardcoded_")
        if arg == "initial_h":
            return _MISTAKES[kind]
        extra = _HARDCODED_HINT.get(arg, "")
        return _MISTAKES["hardcoded"].format(symbol=_SYMBOLS[arg], arg=arg, extra=extra)
    return _MISTAKES[kind].format(
        sign_hint=_SIGN_HINT.get(name, ""),
        order_hint=_ORDER_HINT.get(name, ""),
        root=_ROOT.get(name, ""),
        state=_STATE.get(name, "self.v"),
    )


@dataclass(frozen=True, repr=False)
class CheckResult:
    """The checker's verdict: ``passed``, a Japanese ``message`` and the ``kind`` of mistake.

    ``kind`` is ``"passed"``, ``"unimplemented"`` or a mistake such as ``"sign"``, ``"missing_sqrt"``,
    ``"theta_inside"``, ``"rho_swapped"``, ``"no_bias_correction"``, ``"counter"``, ``"shared_state"``,
    ``"hardcoded_learning_rate"``, ``"unchanged"``, ``"rebinding"``, ``"exception"``, ``"constructor"``,
    ``"mismatch"``.
    """

    name: str
    passed: bool
    message: str
    kind: str

    @property
    def title(self) -> str:
        if self.passed:
            return f"✔ 合格（{self.name}）"
        if self.kind == "unimplemented":
            return f"✎ 未実装です（{self.name}）"
        return f"✘ 不合格（{self.name}）"

    def __repr__(self) -> str:
        return f"{self.title}\n{_plain(self.message)}"

    def _repr_html_(self) -> str:
        style = _OK_STYLE if self.passed else _NOTE_STYLE if self.kind == "unimplemented" else _NG_STYLE
        return (
            f'<div class="lropt-check" data-kind="{html.escape(self.kind)}" style="{style}">'
            f"<strong>{html.escape(self.title)}</strong>"
            f'<div style="margin-top:.35em">{_rich(self.message)}</div></div>'
        )


def _update_is_empty(cls: type) -> bool | None:
    """True when ``update``'s body is only pass, ``...``, a docstring or ``raise``; None if the source is unknown."""
    try:
        source = textwrap.dedent(inspect.getsource(cls.update))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, AttributeError):
        return None
    func = tree.body[0] if tree.body else None
    if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    return all(
        isinstance(stmt, ast.Pass | ast.Raise)
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
        for stmt in func.body
    )


def _user_line(exc: BaseException, cls: type) -> str:
    """The learner's line where ``exc`` was raised (inside ``update``), or ''."""
    try:
        filename = cls.update.__code__.co_filename
    except AttributeError:
        return ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return (frames[-1].line or "").strip() if frames else ""


def _exception_hint(name: str, exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, ZeroDivisionError) and name == "Adam":
        return "1 − βᵗ が 0 になっています。補正の前に `self.t += 1` としていますか（1 ステップ目は t = 1 です）。"
    if isinstance(exc, KeyError):
        return "状態の辞書に、そのキーの配列がありません。最初の update で、params のキーごとに np.zeros_like で作っていますか。"
    if isinstance(exc, TypeError) and "NoneType" in text:
        return "状態が None のままです。最初の update で、キーごとの配列の辞書を作ってください。"
    if isinstance(exc, ValueError) and "broadcast" in text:
        return "形の違う配列どうしを計算しています。状態をキーごとに分けていますか（例: `self.v[key]`）。"
    if isinstance(exc, AttributeError):
        return "属性の名前が固定 API（self.learning_rate など）と合っているか、__init__ で作っているか確かめてください。"
    return ""


def _fail(name: str, kind: str, message: str) -> CheckResult:
    return CheckResult(name, False, message, kind)


def check_implementation(user_class: Any, name: str) -> CheckResult:
    """Check a learner's optimizer class against lropt's ``name`` (``"SGD"``, ``"Momentum"``, ``"AdaGrad"``,
    ``"RMSProp"``, ``"Adam"``) and explain in Japanese what is wrong.

    The class is built with the fixed keyword arguments of DESIGN §2 and run on four seeded problems (one to
    three keys, several shapes, non-default hyper-parameters, a large θ, 3–4 steps). Differences from the reference
    are matched against a catalogue of common mistakes; exceptions raised by the learner's code are explained,
    never re-raised. The returned :class:`CheckResult` displays as a clear verdict in Jupyter.
    """
    if name not in _ARGS:
        raise ValueError(f"引数 name は {list(_ARGS)} のどれかです。受け取った値: {name!r}")
    if not isinstance(user_class, type):
        return _fail(
            name,
            "not_a_class",
            f"クラスそのものを渡してください（例: `check_implementation(My{name}, {name!r})`）。"
            f"受け取ったのは {type(user_class).__name__} です。",
        )
    problems = _problems(name)
    reference = OPTIMIZERS[name]
    args = ", ".join(f"{a}=..." for a in _ARGS[name])

    class_containers = _class_containers(user_class)
    runs: list[_Run] = []
    for problem in problems:
        try:
            with _quiet():
                opt = user_class(**problem.hyper)
        except NotImplementedError:
            return _unimplemented(name)
        except TypeError as exc:
            return _fail(
                name,
                "constructor",
                f"コンストラクタが固定の引数名を受け取れません（{exc}）。`{user_class.__name__}({args})` のように、"
                f"キーワード引数 {', '.join(_ARGS[name])} で作れるようにしてください。",
            )
        except Exception as exc:
            return _fail(
                name,
                "constructor",
                f"コンストラクタ（__init__）で例外 {type(exc).__name__}: {exc} が起きました。",
            )
        run = _run_object(opt, problem)
        if isinstance(run.error, NotImplementedError):
            return _unimplemented(name)
        runs.append(run)

    refs = [_run_object(reference(**p.hyper), p) for p in problems]

    shared = _class_level_state(user_class, class_containers)
    if shared:
        names = "、".join(f"`{a}`" for a in shared)
        return _fail(
            name,
            "class_state",
            f"状態 {names} がクラスの直下（class 文の中）で作られているため、すべてのインスタンスで共有されています。"
            "2 つ目のオプティマイザが 1 つ目の状態の続きから始まってしまいます。"
            f"`__init__` の中で `self.{shared[0]} = None` のように作り、最初の update で配列を用意してください。",
        )

    # params never changed: an empty skeleton, or values written to new names instead of in place
    if all(r.error is None for r in runs) and all(
        np.array_equal(s[k], p.params[k])
        for r, p in zip(runs, problems, strict=True)
        for s in r.steps
        for k in s
    ):
        empty = _update_is_empty(user_class)
        if empty or empty is None:
            return _unimplemented(name)
        return _fail(
            name,
            "unchanged",
            "update のあとも params が変わっていません。`params[key] -= ...` のように、辞書の中の配列をその場で"
            "変えてください。`p = p - ...` や `params = ...` と書くと新しい名前ができるだけで、元の配列は変わりません。",
        )
    if any(r.rebound for r in runs):
        right = all(_first_difference(r, ref) is None for r, ref in zip(runs, refs, strict=True))
        values = "値は正しく計算できています。" if right else "（値も参照実装と違います。）"
        return _fail(
            name,
            "rebinding",
            "`params[key] = ...` で辞書の中身を新しい配列に置き換えています。固定 API では元の配列をその場で変えます"
            f"（`params[key] -= ...`、`+=`）。ネットワークの層が同じ配列を参照していると、置き換えた更新は層に届きません。{values}",
        )

    for problem, run, ref in zip(problems, runs, refs, strict=True):
        diff = _first_difference(run, ref)
        if diff is not None:
            return _diagnose(user_class, name, problems, runs, refs, problem, diff)
        if run.error is not None:
            exc = run.error
            step = len(run.steps) + 1
            line = _user_line(exc, user_class)
            where = f"該当する行: `{line}`。" if line else ""
            return _fail(
                name,
                "exception",
                f"update の中で例外 {type(exc).__name__}: {exc} が起きました（問題 {problem.index}: "
                f"{problem.describe()}、ステップ {step}）。{where}{_exception_hint(name, exc)}",
            )

    if any(r.grad_modified for r in runs):
        return _fail(
            name,
            "grad_modified",
            "params の値は正しいのですが、update が引数 grad の中身を書き換えています"
            "（例: `grad[key] *= self.learning_rate`）。勾配は読むだけにしてください。"
            "呼び出し側は同じ grad を記録や勾配確認にあとで使うことがあります。"
            "`self.learning_rate * grad[key]` のように新しい配列を作る書き方なら grad は変わりません。",
        )
    mismatches = _default_mismatches(user_class, name)
    if mismatches:
        return _fail(
            name,
            "defaults",
            "更新の計算は正しいのですが、コンストラクタの既定値が本書（lropt）と違います: "
            + "、".join(mismatches)
            + f"。引数を省略して `{user_class.__name__}()` と作ったときに本書と同じ手法になるよう、既定値をそろえてください。",
        )

    total = sum(len(p.grads) for p in problems)
    varied = "キーの数と形、ハイパーパラメータ" + ("、大きな θ" if "theta" in _ARGS[name] else "")
    return CheckResult(
        name,
        True,
        f"合格です。{len(problems)} 種類の問題（{varied}を変えて合計 {total} ステップ）で、lropt の {name} と同じ値になりました。",
        "passed",
    )


def _unimplemented(name: str) -> CheckResult:
    return CheckResult(
        name,
        False,
        "未実装です。update に更新の式を書き（スケルトンの `raise` の行は消します）、"
        "クラスのセルとこのセルをもう一度実行してください。",
        "unimplemented",
    )


def _diagnose(
    user_class: type,
    name: str,
    problems: list[_Problem],
    runs: list[_Run],
    refs: list[_Run],
    first: _Problem,
    diff: tuple[int, str, np.ndarray, np.ndarray],
) -> CheckResult:
    variants = _variants(name)
    simulated = [(kind, [_simulate(rule, p) for p in problems]) for kind, rule in variants]
    for kind, sims in simulated:
        if all(_same(r, s) for r, s in zip(runs, sims, strict=True)):
            return _fail(name, kind, _mistake_message(name, kind))
    ignored = _ignored_hyper(user_class, name, problems[1])
    if ignored:
        kind = f"hardcoded_{ignored}"
        return _fail(name, kind, _mistake_message(name, kind))
    i = first.index - 1
    for kind, sims in simulated:
        if _same(runs[i], sims[i]):
            return _fail(
                name, kind, "参照実装と違います。おそらく次の誤りです: " + _mistake_message(name, kind)
            )
    step, key, mine, theirs = diff
    if mine.shape != theirs.shape:
        detail = f"形が {mine.shape} になっています（正しくは {theirs.shape}）"
    else:
        with _quiet():
            gap = np.abs(mine - theirs)
            gap = np.where(np.isnan(gap), np.inf, gap)
        idx = np.unravel_index(int(np.argmax(gap)), gap.shape)
        where = f"位置 {tuple(int(j) for j in idx)} " if gap.ndim else ""
        detail = f"最大の差は {float(gap[idx]):.3g}（{where}参照 {float(theirs[idx]):.6g}、あなたの値 {float(mine[idx]):.6g}）です"
    return _fail(
        name,
        "mismatch",
        f"問題 {first.index}（{first.describe()}）のステップ {step + 1} で、params[{key!r}] が参照実装と違います。{detail}。"
        "数式と 1 行ずつ見比べてください。",
    )


def _alternative(arg: str, value: float) -> float:
    if arg == "learning_rate":
        return value * 3.0
    if arg == "theta":
        return 2.0 if value < 1.0 else value * 0.1
    if arg == "initial_h":
        return 1.0 if value == 0 else 0.0
    return 0.3 if value > 0.5 else 0.9


def _ignored_hyper(user_class: type, name: str, problem: _Problem) -> str | None:
    """The first hyper-parameter whose value does not change the learner's result (a hard-coded number)."""
    reference = OPTIMIZERS[name]
    try:
        with _quiet():
            base = _run_object(user_class(**problem.hyper), problem)
    except Exception:
        return None
    if base.error is not None or not all(np.isfinite(a).all() for s in base.steps for a in s.values()):
        return None  # nan or inf do not change with anything
    for arg in _ARGS[name]:
        hyper = dict(problem.hyper)
        hyper[arg] = _alternative(arg, hyper[arg])
        alt = _Problem(problem.index, hyper, problem.params, problem.grads)
        try:
            with _quiet():
                mine = _run_object(user_class(**hyper), alt)
        except Exception:
            continue
        ref_base = _run_object(reference(**problem.hyper), problem)
        ref_alt = _run_object(reference(**hyper), alt)
        if mine.error is not None or _same(ref_base, ref_alt):
            continue
        if len(base.steps) == len(mine.steps) and all(
            np.array_equal(a[k], b[k], equal_nan=True)
            for a, b in zip(base.steps, mine.steps, strict=True)
            for k in a
        ):
            return arg
    return None
