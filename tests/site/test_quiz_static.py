"""The static quiz (lropt.quiz.Quiz.to_html) clicked in a real Chromium: no kernel, no network, the rules of grade().

The page is written to a temporary folder and served on 127.0.0.1; it does not need the built book.
"""

from __future__ import annotations

import pytest

from lropt.quiz import grade, questions, show_quiz

IDS = ["momentum-global", "momentum-w", "rmsprop-fill"]  # one question of each kind


@pytest.fixture(scope="module")
def quiz_url(tmp_path_factory, serve_dir):
    root = tmp_path_factory.mktemp("quiz")
    quiz = show_quiz(ids=IDS)
    # the same quiz twice on one page: the two copies must not share their radio buttons
    page = (
        '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>quiz</title></head><body>'
        f'<div id="first">{quiz.to_html()}</div><div id="second">{quiz.to_html()}</div></body></html>'
    )
    (root / "index.html").write_text(page, encoding="utf-8")
    return f"{serve_dir(root)}/index.html"


@pytest.fixture
def quiz_page(guarded_page, quiz_url):
    pg = guarded_page(quiz_url.rsplit("/", 1)[0], width=1000)
    pg.goto(quiz_url, wait_until="load")
    yield pg
    assert pg.external_requests == [], pg.external_requests
    assert pg.console_errors == [], pg.console_errors


def _question(page, qid, copy="first"):
    return page.locator(f'#{copy} .lropt-q[data-qid="{qid}"]')


def _check(q):
    q.locator("button.lropt-q-check").click()
    return q.get_attribute("data-verdict"), q.locator(".lropt-q-feedback").inner_text()


def test_choice_question_right_wrong_and_empty(quiz_page):
    q = _question(quiz_page, "momentum-global")
    verdict, text = _check(q)
    assert verdict == "e" and "選択肢を 1 つ選んでください" in text and "解説" not in text
    q.locator('input[type=radio][value="0"]').check()
    verdict, text = _check(q)
    assert verdict == "ng" and "不正解" in text and "イ" in text and "解説" in text and "二重井戸" in text
    q.locator('input[type=radio][value="1"]').check()
    verdict, text = _check(q)
    assert verdict == "ok" and text.startswith("✔ 正解です。") and "解説" in text


def test_numeric_question_right_wrong_and_unreadable(quiz_page):
    q = _question(quiz_page, "momentum-w")
    box = q.locator("input.lropt-q-input")
    box.fill("0.5")
    assert _check(q)[0] == "ng"
    assert "正解は 0.35 です（許容誤差 ±0.001）" in _check(q)[1]
    box.fill("abc")
    verdict, text = _check(q)
    assert verdict == "e" and "数値を入力してください" in text
    box.fill("０．３５")  # typed with a Japanese input method
    assert _check(q)[0] == "ok"
    box.fill("0.3505")
    box.press("Enter")  # Enter grades too
    assert q.get_attribute("data-verdict") == "ok"


def test_fill_question_ignores_white_space(quiz_page):
    q = _question(quiz_page, "rmsprop-fill")
    box = q.locator("input.lropt-q-input")
    box.fill("1 - self.decay_rate")
    verdict, text = _check(q)
    assert verdict == "ng" and "(1 - self.decay_rate)" in text and "かっこは必要" in text
    box.fill(" ( 1-self.decay_rate ) ")
    assert _check(q)[0] == "ok"


CASES = {
    "momentum-w": [
        "0.35",
        " 0.350 ",
        ".35",
        "+0.35",
        "3.5e-1",
        "３５e-2",
        "0.3511",
        "-0.35",
        "0.35.1",
        "1/2",
        "",
        "0x1",
        "Infinity",
        "1e999",
        "0.349",
        "−0.35",
    ],
    "rmsprop-fill": [
        "(1 - self.decay_rate)",
        "（1 − self.decay_rate）",
        "(1-self.decay_rate)\t",
        "1-self.decay_rate",
        "",
        "   ",
        "(1 - self.decay)",
        "(１ - self.decay_rate)",
    ],
}


def _python_verdict(q, answer):
    v = grade(q, answer)
    return "ok" if v.correct else "ng" if v.answered else "e"


@pytest.mark.parametrize("qid", list(CASES))
def test_browser_follows_the_rules_of_grade(quiz_page, qid):
    (q,) = [q for q in questions() if q.id == qid]
    loc = _question(quiz_page, qid)
    box = loc.locator("input.lropt-q-input")
    seen = {}
    for typed in CASES[qid]:
        box.fill(typed)
        verdict, text = _check(loc)
        seen[typed] = verdict
        assert verdict == _python_verdict(q, typed), (typed, verdict)
        assert loc.locator(".lropt-q-feedback").inner_html() != ""
    assert {"ok", "ng", "e"} <= set(seen.values())


def test_two_copies_on_one_page_are_independent(quiz_page):
    first, second = (_question(quiz_page, "momentum-global", c) for c in ("first", "second"))
    first.locator('input[type=radio][value="1"]').check()
    second.locator('input[type=radio][value="2"]').check()
    assert first.locator('input[type=radio][value="1"]').is_checked()
    assert second.locator('input[type=radio][value="2"]').is_checked()
    assert _check(first)[0] == "ok" and _check(second)[0] == "ng"
    assert quiz_page.locator(".lropt-quiz[data-ready]").count() == 2
