"""lropt.nn: backpropagation equals finite differences; data and training are seeded; divergence is caught."""

import numpy as np
import pytest

from lropt.nn import MLP, best_learning_rate, make_spirals, split, sweep_learning_rate, train
from lropt.optimizers import SGD, AdaGrad, Adam, Momentum, RMSProp
from lropt.schedules import CosineDecay


def test_gradient_matches_central_differences():
    rng = np.random.default_rng(1)
    net = MLP(sizes=(2, 5, 4, 3), seed=3)
    x = rng.standard_normal((7, 2))
    y = rng.integers(0, 3, 7)
    _, grads = net.gradient(x, y)
    eps = 1e-6
    for key, p in net.params.items():
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = net.loss(x, y)
            p[idx] = old - eps
            down = net.loss(x, y)
            p[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-7, err_msg=key)


def test_loss_of_uniform_prediction_is_log_classes():
    net = MLP(sizes=(2, 3), seed=0)
    for v in net.params.values():
        v[...] = 0.0
    x = np.ones((4, 2))
    assert net.loss(x, np.array([0, 1, 2, 0])) == pytest.approx(np.log(3))


def test_spirals_are_seeded_and_balanced():
    x1, y1 = make_spirals(points_per_class=50, classes=3, seed=0)
    x2, y2 = make_spirals(points_per_class=50, classes=3, seed=0)
    np.testing.assert_array_equal(x1, x2)
    assert np.bincount(y1).tolist() == [50, 50, 50]
    assert not np.allclose(x1, make_spirals(points_per_class=50, classes=3, seed=1)[0])
    xtr, ytr, xte, yte = split(x1, y1, test_fraction=0.2, seed=0)
    assert len(xte) == 30 and len(xtr) == 120


def test_training_lowers_the_loss_and_is_reproducible():
    data = split(*make_spirals(points_per_class=60, seed=0))
    a = train(MLP(seed=0), Adam(learning_rate=0.01), data, steps=200, every=50)
    b = train(MLP(seed=0), Adam(learning_rate=0.01), data, steps=200, every=50)
    np.testing.assert_array_equal(a.train_loss, b.train_loss)
    assert a.train_loss[-1] < 0.5 * a.train_loss[0]
    assert a.steps.tolist() == [0, 50, 100, 150, 200]


def test_divergence_is_reported_without_warnings():
    data = split(*make_spirals(points_per_class=60, seed=0))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        log = train(MLP(seed=0), SGD(learning_rate=1e4), data, steps=100, every=10)
    assert log.diverged
    assert np.isnan(log.train_loss[-1])


def test_bad_arguments():
    with pytest.raises(ValueError, match="sizes"):
        MLP(sizes=(2,))
    with pytest.raises(ValueError, match="steps"):
        train(MLP(), SGD(), split(*make_spirals(points_per_class=10)), steps=0)


def test_records_include_the_last_step():
    data = split(*make_spirals(points_per_class=20, seed=0))
    log = train(MLP(seed=0), SGD(learning_rate=0.1), data, steps=25, every=10)
    assert log.steps.tolist() == [0, 10, 20, 25]
    assert np.all(np.isfinite(log.train_loss)) and not log.diverged


def test_tail_loss_averages_the_last_records():
    data = split(*make_spirals(points_per_class=30, seed=0))
    log = train(MLP(seed=0), Adam(learning_rate=0.01), data, steps=100, every=10)
    assert log.tail_loss(20) == pytest.approx(np.mean(log.train_loss[-3:]))
    assert log.tail_loss(0) == pytest.approx(log.final_loss)
    bad = train(MLP(seed=0), SGD(learning_rate=1e4), data, steps=50, every=10)
    assert np.isnan(bad.tail_loss())


def test_divergence_does_not_depend_on_how_often_we_record():
    data = split(*make_spirals(points_per_class=60, seed=0))
    verdicts = {
        every: train(MLP(seed=0), Adam(learning_rate=3.0), data, steps=200, every=every).diverged
        for every in (1, 10, 50, 200)
    }
    assert set(verdicts.values()) == {True}, verdicts


def test_sweep_uses_the_same_start_and_batches_for_every_rate():
    data = split(*make_spirals(points_per_class=40, seed=0))
    logs = sweep_learning_rate(lambda eta: SGD(learning_rate=eta), data, (0.01, 0.1), steps=30)
    assert list(logs) == [0.01, 0.1]
    assert logs[0.01].train_loss[0] == logs[0.1].train_loss[0]  # same initial weights
    again = train(MLP(seed=0), SGD(learning_rate=0.1), data, steps=30)
    np.testing.assert_array_equal(logs[0.1].train_loss, again.train_loss)
    assert best_learning_rate(logs) == 0.1
    with pytest.raises(ValueError, match="grid"):
        sweep_learning_rate(lambda eta: SGD(learning_rate=eta), data, (), steps=10)


def test_sweep_with_a_schedule():
    data = split(*make_spirals(points_per_class=40, seed=0))
    seen = []

    def schedule(eta):
        seen.append(eta)
        return CosineDecay(eta, total_steps=20, min_learning_rate=eta / 100)

    logs = sweep_learning_rate(
        lambda eta: SGD(learning_rate=eta), data, (0.1, 1.0), steps=20, make_schedule=schedule
    )
    assert seen == [0.1, 1.0]
    fixed = train(MLP(seed=0), SGD(learning_rate=1.0), data, steps=20)
    assert not np.array_equal(logs[1.0].train_loss, fixed.train_loss)


def test_best_learning_rate_ignores_diverged_runs():
    data = split(*make_spirals(points_per_class=30, seed=0))
    logs = sweep_learning_rate(lambda eta: SGD(learning_rate=eta), data, (0.1, 1e4), steps=30)
    assert logs[1e4].diverged and best_learning_rate(logs) == 0.1
    with pytest.raises(ValueError, match="発散"):
        best_learning_rate({1e4: logs[1e4]})


def test_data_arguments_are_checked():
    with pytest.raises(ValueError, match="noise"):
        make_spirals(noise=-0.1)
    x, y = make_spirals(points_per_class=10)
    with pytest.raises(ValueError, match="test_fraction"):
        split(x, y, test_fraction=1.0)
    with pytest.raises(ValueError, match="len"):
        split(x, y[:-1])


@pytest.mark.parametrize("method", [SGD, Adam])
def test_train_skips_checks_after_the_first_update_and_calls_a_class_s_own_update(method):
    """train() checks its first update and calls the optimizer's _apply after: the same numbers, bit for bit,
    as a class whose own update (never bypassed) goes through the checks at every step."""

    class Counting(method):
        calls = 0

        def update(self, params, grad):
            Counting.calls += 1
            super().update(params, grad)

    data = split(*make_spirals(points_per_class=50, classes=3, seed=0))
    fast, checked = MLP(seed=0), MLP(seed=0)
    log_fast = train(fast, method(learning_rate=0.05), data, steps=40, every=10)
    log_checked = train(checked, Counting(learning_rate=0.05), data, steps=40, every=10)
    assert Counting.calls == 40
    np.testing.assert_array_equal(log_fast.train_loss, log_checked.train_loss)
    for key in fast.params:
        np.testing.assert_array_equal(fast.params[key], checked.params[key])


def _same_log(a, b):
    return (
        a.diverged == b.diverged
        and np.array_equal(a.steps, b.steps)
        and np.array_equal(a.train_loss, b.train_loss, equal_nan=True)
        and np.array_equal(a.test_accuracy, b.test_accuracy, equal_nan=True)
    )


@pytest.mark.parametrize("method", [SGD, Momentum, AdaGrad, RMSProp, Adam])
@pytest.mark.parametrize("decay", [False, True])
def test_sweep_trains_its_rates_together_bit_for_bit_as_train_does_one_by_one(method, decay):
    """sweep_learning_rate stacks its runs' weights; every record equals train's, also for runs that diverge
    (at a record or on a mini-batch), with a schedule, a deeper network and an uneven record interval."""
    data = split(*make_spirals(points_per_class=40, seed=2))
    grid = (1e-3, 0.03, 0.3, 3.0, 30.0)
    sizes = (2, 16, 8, 8, 3)

    def schedule(eta):
        return CosineDecay(eta, total_steps=45, min_learning_rate=eta / 10) if decay else None

    logs = sweep_learning_rate(
        lambda eta: method(learning_rate=eta),
        data,
        grid,
        steps=45,
        every=7,
        seed=3,
        sizes=sizes,
        batch_size=16,
        make_schedule=schedule if decay else None,
    )
    one_by_one = {
        eta: train(
            MLP(sizes, seed=3),
            method(learning_rate=eta),
            data,
            steps=45,
            batch_size=16,
            every=7,
            schedule=schedule(eta),
            seed=3,
        )
        for eta in grid
    }
    assert list(logs) == list(grid)
    assert all(_same_log(logs[eta], one_by_one[eta]) for eta in grid)
    verdicts = [log.diverged for log in logs.values()]
    assert verdicts[0] is False and verdicts[-1] is True  # both kinds of run are compared


def test_sweep_runs_a_class_s_own_update_at_every_step():
    calls = []

    class Counting(SGD):
        def update(self, params, grad):
            calls.append(self.learning_rate)
            super().update(params, grad)

    data = split(*make_spirals(points_per_class=30, seed=0))
    logs = sweep_learning_rate(Counting, data, (0.01, 0.1), steps=12)
    assert sorted(calls) == [0.01] * 12 + [0.1] * 12
    assert _same_log(logs[0.1], train(MLP(seed=0), SGD(learning_rate=0.1), data, steps=12))


def test_sweep_needs_a_new_optimizer_per_rate():
    data = split(*make_spirals(points_per_class=20, seed=0))
    shared = SGD(learning_rate=0.1)
    with pytest.raises(ValueError, match="新しいオプティマイザ"):
        sweep_learning_rate(lambda eta: shared, data, (0.01, 0.1), steps=5)
