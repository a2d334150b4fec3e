"""Chapter 6 (比較): the claims of the prose, recomputed with the same settings."""

import re

import numpy as np
import pytest

from lropt.compare import LEARNING_RATE_GRID, make_optimizer, outcome, sweep_surface, sweep_training
from lropt.explorers.comparison import MULTIPLIERS, explore_comparison
from lropt.nn import MLP, make_spirals, split, train
from lropt.optimizers import SGD, AdaGrad, Adam, Momentum, RMSProp
from lropt.plotting import METHOD_ORDER
from lropt.schedules import CosineDecay
from lropt.surfaces import Beale, Rosenbrock, Saddle, ZeroTsuku
from lropt.trajectory import run

NN_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)


@pytest.fixture(scope="module")
def data():
    return split(*make_spirals(points_per_class=150, classes=3, noise=0.3, seed=0))


@pytest.fixture(scope="module")
def sensitivity(data):
    return {m: sweep_training(m, data, grid=NN_GRID, steps=500) for m in METHOD_ORDER}


def test_grid_is_1_2_5():
    assert LEARNING_RATE_GRID[:4] == (0.0001, 0.0002, 0.0005, 0.001)
    assert LEARNING_RATE_GRID[-1] == 5.0 and len(LEARNING_RATE_GRID) == 15


def test_classic_figure_ranking():
    classic = {
        "SGD": SGD(learning_rate=0.95),
        "Momentum": Momentum(learning_rate=0.1, momentum=0.9),
        "AdaGrad": AdaGrad(learning_rate=1.5),
        "RMSProp": RMSProp(learning_rate=0.2, decay_rate=0.9),
        "Adam": Adam(learning_rate=0.3),
    }
    final = {m: run(o, ZeroTsuku(), steps=30).distances()[-1] for m, o in classic.items()}
    assert min(final, key=final.get) == "AdaGrad"
    assert set(sorted(final, key=final.get)[-2:]) == {"RMSProp", "Momentum"}
    # the reason RMSProp's eta = 0.5 is not used: sign-like steps of 0.5 land exactly on the minimum
    assert run(RMSProp(learning_rate=0.5, decay_rate=0.9), ZeroTsuku(), steps=30).distances()[-1] < 1e-3


def test_no_method_is_fastest_everywhere():
    fastest = {}
    for s in (ZeroTsuku(), Beale(), Saddle()):
        sw = {m: sweep_surface(m, s, steps=300, tolerance=1e-2) for m in METHOD_ORDER}
        done = {m: r.steps[r.best] for m, r in sw.items() if r.steps[r.best] is not None}
        fastest[s.key] = min(done, key=done.get)
    assert fastest == {"zerotsuku": "AdaGrad", "beale": "Adam", "saddle": "AdaGrad"}


def test_rosenbrock_sgd_and_zerotsuku_rmsprop_do_not_reach():
    assert outcome(sweep_surface("SGD", Rosenbrock(), steps=300, tolerance=1e-2).best_trajectory) == "未到達"
    assert (
        outcome(sweep_surface("RMSProp", ZeroTsuku(), steps=300, tolerance=1e-2).best_trajectory) == "未到達"
    )


def test_sensitivity_claims(sensitivity):
    good = {m: [e for e in NN_GRID if sensitivity[m][e] < 0.2] for m in METHOD_ORDER}
    widths = {m: len(v) for m, v in good.items()}
    assert widths["Adam"] == 4 and max(widths, key=widths.get) == "Adam"
    assert widths["SGD"] == 1 and good["SGD"] == [0.3]
    best = {m: min(sensitivity[m][e] for e in NN_GRID) for m in METHOD_ORDER}
    assert min(best, key=best.get) == "RMSProp"
    assert best["Adam"] < 2 * best["RMSProp"]
    assert best["Momentum"] < best["SGD"]


def test_decay_from_a_too_large_rate_beats_the_best_constant(data, sensitivity):
    assert sensitivity["SGD"][1.0] > 0.2
    const = train(MLP(seed=0), SGD(learning_rate=0.3), data, steps=1000)
    decay = train(
        MLP(seed=0),
        SGD(learning_rate=1.0),
        data,
        steps=1000,
        schedule=CosineDecay(1.0, total_steps=1000, min_learning_rate=0.01),
    )
    assert decay.final_loss < const.final_loss
    assert decay.test_accuracy[-1] >= 0.95


def test_rosenbrock_times_ten_diverges_for_every_method():
    rb = Rosenbrock()
    for m in METHOD_ORDER:
        best = sweep_surface(m, rb, steps=300, tolerance=1e-2).best
        assert run(make_optimizer(m, best * 10), rb, steps=300).diverged, m


def test_explorer_static_html():
    rates = {"SGD": 0.5, "Momentum": 0.05, "AdaGrad": 5.0, "RMSProp": 0.02, "Adam": 0.5}
    ex = explore_comparison(ZeroTsuku(), rates, steps=300)
    page = ex.to_html()
    assert len(page.encode()) < 400_000
    assert "https://" not in page and "http://" not in page
    frames = re.search(r'class="lropt-data">(.*?)</script>', page, re.S).group(1)
    assert frames.count('"s":') == len(MULTIPLIERS)
    assert "発散" in ex.apply(factor=10.0)
    with pytest.raises(ValueError, match="rates"):
        explore_comparison(ZeroTsuku(), {"SGD": 0.1})


def test_make_optimizer_rejects_unknown():
    with pytest.raises(ValueError, match="method"):
        make_optimizer("Nadam", 0.1)
    assert np.isclose(make_optimizer("Momentum", 0.1).momentum, 0.9)
