"""Chapter 6 (比較): the library of the chapter, and the claims of its prose recomputed with the same settings."""

import re
from functools import partial

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from lropt.explorers.comparison import (
    APPROACHING,
    LEARNING_RATE_GRID,
    LOCAL_MINIMUM,
    MULTIPLIERS,
    OSCILLATING,
    OTHER_MINIMUM,
    STALLED,
    draw_runs,
    draw_sweeps,
    explore_comparison,
    make_optimizer,
    sweep_surface,
    verdict,
)
from lropt.nn import best_learning_rate, make_spirals, split, sweep_learning_rate
from lropt.optimizers import SGD, AdaGrad, Adam, Momentum, RMSProp
from lropt.plotting import METHOD_ORDER
from lropt.schedules import CosineDecay
from lropt.surfaces import Beale, DoubleWell, Rosenbrock, Saddle, ZeroTsuku
from lropt.trajectory import run

matplotlib.use("Agg")

SURFACES = (ZeroTsuku(), Rosenbrock(), Beale(), Saddle(), DoubleWell())
NN_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
NN_STEPS = 500


@pytest.fixture(scope="module")
def sweeps():
    return {
        s.key: {m: sweep_surface(m, s, steps=300, tolerance=1e-2) for m in METHOD_ORDER} for s in SURFACES
    }


@pytest.fixture(scope="module")
def logs():
    data = split(*make_spirals(points_per_class=150, classes=3, noise=0.3, seed=0))
    result = {
        m: sweep_learning_rate(partial(make_optimizer, m), data, NN_GRID, steps=NN_STEPS)
        for m in METHOD_ORDER
    }
    result["SGD+減衰"] = sweep_learning_rate(
        partial(make_optimizer, "SGD"),
        data,
        NN_GRID,
        steps=NN_STEPS,
        make_schedule=lambda eta: CosineDecay(eta, total_steps=NN_STEPS, min_learning_rate=eta / 100),
    )
    return result


# ---------------------------------------------------------------------------------------------- library
def test_grid_is_1_2_5_from_a_thousandth_to_ten():
    assert LEARNING_RATE_GRID[:4] == (0.001, 0.002, 0.005, 0.01)
    assert LEARNING_RATE_GRID[-1] == 10.0 and len(LEARNING_RATE_GRID) == 13
    assert MULTIPLIERS[0] == 0.1 and MULTIPLIERS[-1] == 10.0 and 1.0 in MULTIPLIERS


def test_make_optimizer_uses_the_library_defaults():
    assert isinstance(make_optimizer("Momentum", 0.1), Momentum)
    assert make_optimizer("Momentum", 0.1).momentum == 0.9
    assert make_optimizer("RMSProp", 0.1).decay_rate == 0.99
    adam = make_optimizer("Adam", 0.02)
    assert (adam.learning_rate, adam.beta1, adam.beta2, adam.theta) == (0.02, 0.9, 0.999, 1e-8)
    with pytest.raises(ValueError, match="method"):
        make_optimizer("Nadam", 0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        make_optimizer("SGD", -1.0)


def test_verdicts_cover_every_outcome():
    zt = ZeroTsuku()
    assert verdict(run(SGD(learning_rate=0.5), zt, steps=300, tolerance=1e-2)) == "128"
    assert verdict(run(SGD(learning_rate=1.05), zt, steps=300)) == "発散"
    assert verdict(run(SGD(learning_rate=0.001), zt, steps=300, tolerance=1e-2)) == STALLED
    # η = 1: y flips between ±2 for ever
    assert verdict(run(SGD(learning_rate=1.0), zt, steps=300, tolerance=1e-2)) == OSCILLATING
    # 30 steps of AdaGrad are not enough, but the distance is still shrinking fast
    assert verdict(run(AdaGrad(learning_rate=1.5), zt, steps=30, tolerance=1e-2)) == APPROACHING
    assert verdict(run(SGD(learning_rate=0.02), DoubleWell(), steps=300, tolerance=1e-2)) == LOCAL_MINIMUM
    assert verdict(run(RMSProp(learning_rate=0.2), Saddle(), steps=300, tolerance=1e-2)) == OTHER_MINIMUM


def test_sweep_rule_picks_the_fewest_steps_and_falls_back_to_the_closest(sweeps):
    zt = sweeps["zerotsuku"]["SGD"]
    assert zt.grid == LEARNING_RATE_GRID
    reached = {e: k for e, k in zt.steps.items() if k is not None}
    assert zt.best == min(reached, key=reached.get) == 0.5 and zt.best_steps == 128
    rb = sweeps["rosenbrock"]["SGD"]
    assert all(k is None for k in rb.steps.values())
    alive = {e: t.distances()[-1] for e, t in rb.trajectories.items() if not t.diverged}
    assert rb.best == min(alive, key=alive.get)


def test_small_multiples_and_sweep_table_figures(sweeps):
    fig = Figure(figsize=(9, 6))
    runs = {m: sweeps["beale"][m].best_trajectory for m in METHOD_ORDER}
    rates = {m: sweeps["beale"][m].best for m in METHOD_ORDER}
    assert draw_runs(fig, Beale(), runs, rates, title="Beale") is fig
    axes = fig.axes
    assert len(axes) == 6 and fig.get_figwidth() <= 9
    texts = [t.get_text() for ax in axes[:5] for t in ax.texts]
    assert texts[4] == "106 ステップで到達" and texts[0].startswith("停滞（300 ステップ後の距離")
    assert [ax.get_title() for ax in axes[:2]] == ["SGD（η = 0.02）", "モメンタム（η = 0.005）"]
    with pytest.raises(ValueError, match="rates"):
        draw_runs(Figure(), Beale(), runs, {"SGD": 0.1})
    table = Figure(figsize=(9, 7.6))
    draw_sweeps(table, sweeps)
    assert len(table.axes) == len(SURFACES)
    cells = [t.get_text() for t in table.axes[0].texts]
    assert len(cells) == len(METHOD_ORDER) * len(LEARNING_RATE_GRID) and "128" in cells


def test_explorer_static_html_and_extremes(sweeps):
    rates = {m: sweeps["zerotsuku"][m].best for m in METHOD_ORDER}
    ex = explore_comparison(ZeroTsuku(), rates, steps=300)
    page = ex.to_html()
    assert len(page.encode()) < 400_000
    assert "https://" not in page and "http://" not in page
    frames = re.search(r'class="lropt-data">(.*?)</script>', page, re.S).group(1)
    assert frames.count('"s":') == len(MULTIPLIERS) <= 30
    assert "発散" in ex.apply(factor=10.0) and "発散" not in ex.apply(factor=1.0)
    with pytest.raises(ValueError, match="rates"):
        explore_comparison(ZeroTsuku(), {"SGD": 0.1})


# ---------------------------------------------------------------------------------------------- the prose
def test_classic_figure():
    rates = {"SGD": 0.95, "Momentum": 0.1, "AdaGrad": 1.5, "RMSProp": 0.15, "Adam": 0.3}
    runs = {m: run(make_optimizer(m, e), ZeroTsuku(), steps=30) for m, e in rates.items()}
    final = {m: t.distances()[-1] for m, t in runs.items()}
    assert sorted(final, key=final.get) == ["RMSProp", "AdaGrad", "Adam", "SGD", "Momentum"]
    assert 0.09 < final["RMSProp"] < 0.1 and 0.11 < final["AdaGrad"] < 0.13 and final["Momentum"] > 0.85
    # RMSProp's first step 0.15 / sqrt(1 - 0.99) equals AdaGrad's 1.5, and the paths stay within 0.05
    assert np.allclose(runs["RMSProp"].path[1], runs["AdaGrad"].path[1], atol=1e-5)
    assert np.abs(runs["RMSProp"].path - runs["AdaGrad"].path).max() < 0.05
    y = runs["SGD"].path[:, 1]
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1]))
    assert runs["Momentum"].path[:, 0].max() > 0.8
    # ゼロつく's rates are not the closest after 30 steps, e.g. Momentum with η = 0.7 ends at 0.27
    assert abs(run(make_optimizer("Momentum", 0.7), ZeroTsuku(), steps=30).distances()[-1] - 0.27) < 0.01


def test_no_method_is_fastest_everywhere(sweeps):
    steps = {k: {m: r.best_steps for m, r in row.items()} for k, row in sweeps.items()}
    fastest = {}
    for k, row in steps.items():
        done = {m: n for m, n in row.items() if n is not None}
        fastest[k] = min(done, key=done.get) if done else None
    assert fastest == {
        "zerotsuku": "AdaGrad",
        "rosenbrock": None,
        "beale": "Adam",
        "saddle": "RMSProp",
        "double_well": "AdaGrad",
    }
    assert steps["zerotsuku"]["AdaGrad"] == 6 and steps["beale"]["Adam"] == 106
    assert [steps["saddle"][m] for m in METHOD_ORDER] == [19, 90, 11, 7, 78]
    assert [steps["double_well"][m] for m in METHOD_ORDER] == [44, 91, 14, 293, 91]
    assert [steps["beale"][m] for m in METHOD_ORDER] == [None, None, 294, 262, 106]


def test_rosenbrock_everyone_stalls_and_sgd_momentum_need_tiny_rates(sweeps):
    rb = sweeps["rosenbrock"]
    assert all(verdict(r.best_trajectory) == STALLED for r in rb.values())
    final = {m: r.best_trajectory.distances()[-1] for m, r in rb.items()}
    assert min(final, key=final.get) == "Momentum" and max(final, key=final.get) == "AdaGrad"
    for m in ("SGD", "Momentum"):
        assert rb[m].best == 0.002 and rb[m].verdicts[0.005] == "発散"
    d = {m: r.best_trajectory.distances() for m, r in rb.items()}
    assert abs(d["SGD"][50] - 0.074) < 0.001 and abs(d["SGD"][300] - 0.06) < 0.001
    assert np.all(np.diff(d["Momentum"][50:]) <= 0)
    assert abs(d["AdaGrad"][10] - 0.70) < 0.01 and abs(d["AdaGrad"][300] - 0.64) < 0.01
    # RMSProp follows AdaGrad (same first step), creeps, then is kicked near the minimum around step 240
    assert (
        np.abs(rb["AdaGrad"].best_trajectory.path[:11] - rb["RMSProp"].best_trajectory.path[:11]).max() < 0.01
    )
    steps = np.linalg.norm(np.diff(rb["RMSProp"].best_trajectory.path, axis=0), axis=1)
    assert steps[20:230].max() < 1e-3 and steps[235:255].max() > 1.0
    assert abs(d["RMSProp"][300] - 0.116) < 0.002


def test_adam_reaches_from_the_widest_range_on_three_surfaces(sweeps):
    width = {
        k: {m: sum(n is not None for n in r.steps.values()) for m, r in row.items()}
        for k, row in sweeps.items()
    }
    for key, expected in (("zerotsuku", 7), ("beale", 4), ("saddle", 9)):
        w = width[key]
        assert w["Adam"] == expected and w["Adam"] > max(v for m, v in w.items() if m != "Adam")
    assert max(width["double_well"], key=width["double_well"].get) == "Momentum"


def test_lucky_first_steps(sweeps):
    for m in ("AdaGrad", "RMSProp"):
        assert sweeps["saddle"][m].best_trajectory.distances()[1] < 2e-3
    assert abs(sweeps["zerotsuku"]["RMSProp"].best_trajectory.path[1, 1]) < 1e-5


def test_double_well_local_minima_and_the_rmsprop_kick(sweeps):
    dw = sweeps["double_well"]
    local = {m: [e for e, v in dw[m].verdicts.items() if v == LOCAL_MINIMUM] for m in METHOD_ORDER}
    assert local["Momentum"] == [0.002] and local["RMSProp"] == [0.01, 0.02, 0.05, 0.1, 0.5]
    d = dw["RMSProp"].best_trajectory.distances()
    assert d[80] < 1e-15 and abs(d[171] - 0.65) < 0.01
    assert dw["Adam"].best_trajectory.distances()[150:].max() < 5e-4


def test_slider_claims(sweeps):
    def reach(key, surface):
        rates = {m: sweeps[key][m].best for m in METHOD_ORDER}
        out = {}
        for f in MULTIPLIERS:
            out[f] = {
                m: verdict(run(make_optimizer(m, rates[m] * f), surface, steps=300, tolerance=1e-2))
                for m in METHOD_ORDER
            }
        return out

    zt = reach("zerotsuku", ZeroTsuku())
    counts = {m: sum(zt[f][m].isdigit() for f in MULTIPLIERS) for m in METHOD_ORDER}
    assert counts == {"SGD": 3, "Momentum": 6, "AdaGrad": 6, "RMSProp": 5, "Adam": 8}
    assert {m for m in METHOD_ORDER if zt[0.1][m].isdigit()} == {"AdaGrad"}
    assert [f for f in MULTIPLIERS if zt[f]["SGD"].isdigit()] == [0.562, 1.0, 1.78]
    assert [f for f in MULTIPLIERS if zt[f]["AdaGrad"].isdigit()] == list(MULTIPLIERS[:6])
    assert [f for f in MULTIPLIERS if zt[f]["Adam"].isdigit()] == list(MULTIPLIERS[1:])
    rb = reach("rosenbrock", Rosenbrock())
    assert {m for m, v in rb[1.78].items() if v == "発散"} == {"SGD", "Momentum", "Adam"}
    assert all(v == "発散" for f in MULTIPLIERS if f >= 3 for v in rb[f].values())
    assert not any(v.isdigit() for f in MULTIPLIERS for v in rb[f].values())


def test_rmsprop_steps_without_bias_correction():
    opt = RMSProp(learning_rate=0.01, decay_rate=0.99)
    params = {"w": np.zeros(1)}
    sizes = []
    for _ in range(10):
        before = params["w"].copy()
        opt.update(params, {"w": np.ones(1)})
        sizes.append(float(before[0] - params["w"][0]) / 0.01)
    assert np.allclose(sizes, 1 / np.sqrt(1 - 0.99 ** np.arange(1, 11)), rtol=1e-4)
    adam = Adam(learning_rate=0.01)
    params = {"w": np.zeros(1)}
    adam.update(params, {"w": np.ones(1)})
    assert abs(params["w"][0] + 0.01) < 1e-8  # Adam's first step is η (bias correction)


def test_sensitivity_claims(logs):
    tail = {n: {e: log.tail_loss(100) for e, log in row.items()} for n, row in logs.items()}
    good = {n: [e for e in NN_GRID if tail[n][e] < 0.3] for n in logs}
    assert {n: len(v) for n, v in good.items()} == {
        "SGD": 2,
        "Momentum": 2,
        "AdaGrad": 3,
        "RMSProp": 3,
        "Adam": 4,
        "SGD+減衰": 2,
    }
    assert good["Adam"] == [3e-3, 1e-2, 3e-2, 0.1]
    best = {n: best_learning_rate(row) for n, row in logs.items()}
    assert best == {
        "SGD": 0.3,
        "Momentum": 0.03,
        "AdaGrad": 0.1,
        "RMSProp": 0.01,
        "Adam": 0.01,
        "SGD+減衰": 1.0,
    }
    loss = {n: tail[n][best[n]] for n in logs}
    assert abs(loss["Adam"] - loss["RMSProp"]) < 0.002 and max(loss["Adam"], loss["RMSProp"]) < 0.03
    assert 0.1 < loss["SGD"] < 0.12 and 0.03 < loss["SGD+減衰"] < 0.04 and 0.07 < loss["Momentum"] < 0.08
    diverged = {n: [e for e in NN_GRID if row[e].diverged] for n, row in logs.items()}
    assert diverged["RMSProp"] == [0.1, 0.3, 1.0, 3.0] and diverged["Adam"] == [1.0, 3.0]
    assert diverged["SGD"] == diverged["Momentum"] == diverged["SGD+減衰"] == []
    acc = {n: logs[n][best[n]].test_accuracy[-1] for n in logs}
    assert acc["Adam"] == 109 / 112 and all(a == 110 / 112 for n, a in acc.items() if n != "Adam")
    assert loss["Adam"] < loss["Momentum"] / 3 < loss["SGD"] / 3


def test_learning_curves(logs):
    best = {n: best_learning_rate(row) for n, row in logs.items()}

    def first_below(name, level=0.2):
        log = logs[name][best[name]]
        return int(log.steps[np.argmax(log.train_loss < level)])

    assert all(first_below(m) <= 150 for m in ("AdaGrad", "RMSProp", "Adam"))
    assert first_below("SGD") > 250 and first_below("Momentum") > 250

    def jumps(name):
        log = logs[name][best[name]]
        late = log.train_loss[log.steps >= 200]
        return int(np.sum(late[1:] > 2 * late[:-1]))

    assert jumps("SGD") >= 2 and jumps("SGD+減衰") == 0


def test_rmsprop_effective_rate_passes_the_stability_bound_on_rosenbrock():
    rb = Rosenbrock()
    opt = RMSProp(learning_rate=0.2)
    params = {"w": rb.start}
    largest = []
    for _ in range(240):
        opt.update(params, {"w": rb.grad(params["w"])})
        root = np.diag(np.sqrt(0.2 / (np.sqrt(opt.h["w"]) + opt.theta)))
        largest.append(np.linalg.eigvalsh(root @ rb.hessian(params["w"]) @ root).max())
    after = np.array(largest[20:])
    crossing = 20 + int(np.argmax(after > 2)) + 1
    assert 150 <= crossing <= 170 and np.all(after[crossing - 20 :] > 2)


def test_double_well_rmsprop_effective_rate_in_y_passes_two():
    well = DoubleWell()
    opt = RMSProp(learning_rate=0.2)
    params = {"w": well.start}
    effective = []
    for _ in range(171):
        opt.update(params, {"w": well.grad(params["w"])})
        effective.append(0.2 / (np.sqrt(opt.h["w"][1]) + opt.theta))
    crossing = int(np.argmax(np.array(effective) > 2.0)) + 1
    assert 75 <= crossing <= 90
    assert abs(np.linalg.norm(params["w"] - well.minimum) - 0.65) < 0.01
