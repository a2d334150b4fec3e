"""The trajectory runner: paths, divergence detection (発散), convergence and the stability bound η < 2/L."""

import warnings

import numpy as np
import pytest

from lropt.optimizers import OPTIMIZERS, SGD, Momentum
from lropt.schedules import CosineDecay, StepDecay
from lropt.surfaces import DoubleWell, Quadratic1D, ZeroTsuku
from lropt.trajectory import Trajectory, divergence_radius, run


def test_path_matches_closed_form_on_quadratic():
    # x_{t+1} = (1 - eta L) x_t, so x_t = (1 - eta L)^t x_0 exactly
    quad = Quadratic1D(curvature=2.0)
    traj = run(SGD(learning_rate=0.3), quad, start=[4.0], steps=25)
    expected = 4.0 * (1 - 0.3 * 2.0) ** np.arange(26)
    np.testing.assert_allclose(traj.path[:, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(traj.values, 0.5 * 2.0 * expected**2, rtol=1e-12)
    assert traj.steps == 25 and traj.requested_steps == 25
    np.testing.assert_array_equal(traj.learning_rates, np.full(25, 0.3))


@pytest.mark.parametrize(
    ("eta", "outcome"),
    [
        (0.5, "converges"),
        (1.0, "converges"),
        (1.6, "converges"),
        (1.99, "converges"),
        (2.0, "oscillates"),
        (2.01, "diverges"),
        (3.0, "diverges"),
    ],
)
def test_stability_bound_on_1d_quadratic(eta, outcome):
    traj = run(SGD(learning_rate=eta), Quadratic1D(curvature=1.0), start=[4.0], steps=3000)
    if outcome == "converges":
        assert traj.converged and not traj.diverged
    elif outcome == "oscillates":
        assert not traj.diverged and not traj.converged
        np.testing.assert_allclose(np.abs(traj.path[:, 0]), 4.0)
    else:
        assert traj.diverged and traj.diverged_step is not None
        assert traj.status.startswith("発散")


def test_zerotsuku_boundary_demo():
    """Chapter 1: curvature 2 along y -> eta = 0.95 zig-zags in, 1.0 never settles, > 1 diverges."""
    surface = ZeroTsuku()
    assert surface.max_stable_learning_rate == pytest.approx(1.0)
    t095 = run(SGD(learning_rate=0.95), surface, steps=300)
    assert t095.converged
    signs = np.sign(t095.path[:20, 1])
    assert np.all(signs[1:] == -signs[:-1])  # y changes sign every step: zig-zag
    assert t095.steps_to() == 89  # the number quoted in the chapter
    t100 = run(SGD(learning_rate=1.0), surface, steps=300)
    assert not t100.diverged and not t100.converged
    np.testing.assert_allclose(np.abs(t100.path[:, 1]), 2.0)
    for eta in (1.01, 1.05, 1.5):
        assert run(SGD(learning_rate=eta), surface, steps=300).diverged


def test_divergence_stops_early_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(SGD(learning_rate=50.0), DoubleWell(), steps=1000)
    assert traj.diverged
    assert traj.steps < 10
    assert len(traj.path) == traj.steps + 1 == len(traj.values)
    assert np.all(np.isfinite(traj.path[:-1]))


def test_divergence_radius_is_generous():
    surface = ZeroTsuku()
    r = divergence_radius(surface, surface.start)
    assert r >= 3 * np.linalg.norm(surface.start)
    # a converging run with overshoot (momentum) is never flagged
    assert not run(Momentum(learning_rate=0.1, momentum=0.9), surface, steps=500).diverged


def test_local_minimum_detection_on_double_well():
    well = DoubleWell(tilt=0.3)
    small = run(SGD(learning_rate=0.03), well, steps=300)
    assert small.stuck_in_local_minimum and not small.converged
    assert "局所最適解" in small.status
    medium = run(SGD(learning_rate=0.1), well, steps=300)
    assert medium.converged and not medium.stuck_in_local_minimum
    assert run(SGD(learning_rate=0.16), well, steps=300).stuck_in_local_minimum
    assert run(SGD(learning_rate=0.18), well, steps=300).diverged


def test_steps_to_requires_staying_inside():
    traj = Trajectory(
        path=np.array([[2.0], [0.0], [1.0], [0.0], [0.0]]),
        values=np.zeros(5),
        learning_rates=np.ones(4),
        diverged=False,
        diverged_step=None,
        requested_steps=4,
        minimum=np.array([0.0]),
        minimum_value=0.0,
    )
    assert traj.steps_to(0.5) == 3  # it left again after step 1


def test_schedule_sets_learning_rate_each_step():
    sched = StepDecay(0.8, drop=0.5, every=3)
    opt = SGD(learning_rate=0.8)
    traj = run(opt, ZeroTsuku(), steps=9, schedule=sched)
    np.testing.assert_allclose(traj.learning_rates, [0.8] * 3 + [0.4] * 3 + [0.2] * 3)
    assert opt.learning_rate == pytest.approx(0.2)


def test_zero_learning_rate_from_schedule_means_no_move():
    traj = run(SGD(learning_rate=0.5), ZeroTsuku(), steps=6, schedule=CosineDecay(0.5, total_steps=3))
    np.testing.assert_array_equal(traj.path[4], traj.path[3])
    np.testing.assert_array_equal(traj.path[6], traj.path[3])


def test_noise_is_seeded_and_changes_the_path():
    surface = ZeroTsuku()
    a = run(SGD(learning_rate=0.3), surface, steps=20, noise=0.5, seed=1)
    b = run(SGD(learning_rate=0.3), surface, steps=20, noise=0.5, seed=1)
    c = run(SGD(learning_rate=0.3), surface, steps=20, noise=0.5, seed=2)
    exact = run(SGD(learning_rate=0.3), surface, steps=20)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.allclose(a.path, c.path)
    assert not np.allclose(a.path, exact.path)


def test_decay_beats_every_constant_rate_with_noisy_gradients():
    """Chapter 1's claim: with noisy gradients a decaying eta ends closer than any constant eta of the grid."""
    surface = ZeroTsuku()

    def final_distance(eta0, schedule=None):
        runs = [
            run(SGD(learning_rate=eta0), surface, steps=150, schedule=schedule, noise=0.5, seed=s)
            for s in range(20)
        ]
        return float(np.mean([r.distances()[-10:].mean() for r in runs]))

    best_constant = min(final_distance(eta) for eta in (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9))
    assert final_distance(0.9, StepDecay(0.9, drop=0.5, every=25)) < best_constant
    assert final_distance(0.9, CosineDecay(0.9, total_steps=150)) < best_constant


def test_runs_are_independent_of_previous_state():
    opt = Momentum(learning_rate=0.1, momentum=0.9)
    first = run(opt, ZeroTsuku(), steps=30)
    second = run(opt, ZeroTsuku(), steps=30)
    np.testing.assert_array_equal(first.path, second.path)


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"start": [1.0]}, ValueError, "start"),
        ({"start": [np.nan, 0.0]}, ValueError, "start"),
        ({"tolerance": 0.0}, ValueError, "tolerance"),
        ({"noise": -0.1}, ValueError, "noise"),
    ],
)
def test_bad_arguments_have_japanese_messages(kwargs, error, fragment):
    with pytest.raises(error, match=fragment) as info:
        run(SGD(learning_rate=0.1), ZeroTsuku(), **kwargs)
    assert "受け取った値" in str(info.value)


def test_rejects_non_optimizer():
    with pytest.raises(TypeError, match="optimizer"):
        run(object(), ZeroTsuku())


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_run_equals_calling_update_at_every_step(name):
    """run() checks only its first update (later steps skip the checks): the path is the same, bit for bit."""
    surface = ZeroTsuku()
    opt = OPTIMIZERS[name](learning_rate=0.05)
    path = run(opt, surface, steps=60, schedule=StepDecay(0.05, drop=0.5, every=20)).path
    opt.reset()
    w = np.array(surface.start, dtype=np.float64)
    manual = [w.copy()]
    for t in range(60):
        opt.learning_rate = StepDecay(0.05, drop=0.5, every=20)(t)
        opt.update({"w": w}, {"w": surface.grad(w)})
        manual.append(w.copy())
    np.testing.assert_array_equal(path, np.array(manual))


def test_run_calls_a_class_s_own_update_at_every_step():
    """A subclass that writes its own update (a reader's exercise) is never bypassed."""

    class CountingSGD(SGD):
        calls = 0

        def update(self, params, grad):
            CountingSGD.calls += 1
            super().update(params, grad)

    run(CountingSGD(learning_rate=0.1), ZeroTsuku(), steps=25)
    assert CountingSGD.calls == 25
