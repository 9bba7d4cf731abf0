"""cnnlib.train.side_by_side: two training runs fed the same batches, and batched accuracy."""
import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score

from cnnlib.data.bars import bar_images
from cnnlib.train import batched_accuracy, train_side_by_side
from cnnlib.train.side_by_side import batch_order


@pytest.mark.parametrize("n, steps, batch_size", [(10, 3, 4), (7, 5, 3), (100, 2, 50)])
def test_every_round_of_the_batch_order_is_a_permutation(n, steps, batch_size):
    order = batch_order(n, steps, batch_size, seed=1)
    assert order.shape == (steps * batch_size,)
    for start in range(0, len(order) - n + 1, n):
        assert sorted(order[start:start + n].tolist()) == list(range(n))
    tail = order[len(order) // n * n:]
    assert len(set(tail.tolist())) == len(tail)           # no example twice within a round


def test_the_batch_order_is_numpys_permutations_in_turn():
    rng = np.random.default_rng(0)
    expected = np.concatenate([rng.permutation(6), rng.permutation(6)])[:8]
    np.testing.assert_array_equal(batch_order(6, steps=2, batch_size=4, seed=0), expected)


def test_both_steps_see_the_same_batches_in_order_and_their_losses_are_kept():
    x, y = np.arange(20.0)[:, None], np.arange(20) % 3
    seen = {"a": [], "b": []}

    def step(name):
        def run(xb, yb):
            seen[name].append((xb.copy(), yb.copy()))
            return float(xb.sum())
        return run

    curves, seconds = train_side_by_side({"a": step("a"), "b": step("b")}, x, y, steps=4,
                                         batch_size=5, seed=2, desc=None)
    order = batch_order(20, 4, 5, seed=2)
    for s, ((xa, ya), (xb, yb)) in enumerate(zip(seen["a"], seen["b"])):
        batch = order[5 * s:5 * s + 5]
        np.testing.assert_array_equal(xa, x[batch])
        np.testing.assert_array_equal(ya, y[batch])
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert curves["a"] == curves["b"] == [float(x[order[5 * s:5 * s + 5]].sum()) for s in range(4)]
    assert set(seconds) == {"a", "b"} and all(t >= 0 for t in seconds.values())


def test_training_side_by_side_matches_a_plain_torch_loop():
    x, y = bar_images(20, seed=0)
    x, y = x.astype(np.float32), y.astype(np.int64)

    def model():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(400, 2))

    def make_step(net):
        opt = torch.optim.SGD(net.parameters(), lr=0.1)

        def step(xb, yb):
            loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(xb)),
                                                     torch.from_numpy(yb))
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.item()
        return step

    curves, _ = train_side_by_side({"net": make_step(model())}, x, y, steps=6, batch_size=8,
                                   seed=3, desc=None)
    plain, order, step = [], batch_order(len(x), 6, 8, seed=3), make_step(model())
    for s in range(6):
        plain.append(step(x[order[8 * s:8 * s + 8]], y[order[8 * s:8 * s + 8]]))
    assert curves["net"] == plain


def test_batched_accuracy_agrees_with_scikit_learn_for_any_batch_size():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(23, 4)), rng.integers(0, 4, 23)
    for batch_size in (1, 5, 23, 100):
        assert batched_accuracy(lambda xb: xb * 2, x, y, batch_size) == pytest.approx(
            accuracy_score(y, x.argmax(axis=1)))
    net = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        expected = accuracy_score(y, net(torch.from_numpy(x)).argmax(1).numpy())
        assert batched_accuracy(lambda xb: net(torch.from_numpy(xb)), x, y, 4) == expected


@pytest.mark.parametrize("call, match", [
    (lambda: batch_order(0, 1, 1), "n must be a positive integer"),
    (lambda: batch_order(5, 1, 2.0), "batch_size must be a positive integer"),
    (lambda: train_side_by_side({}, np.zeros(3), np.zeros(3), 1, 1), "at least one"),
    (lambda: train_side_by_side({"a": len}, np.zeros(3), np.zeros(2), 1, 1), "same number"),
    (lambda: batched_accuracy(len, np.zeros((3, 2)), np.zeros(2)), "same, non-zero"),
    (lambda: batched_accuracy(len, np.zeros((3, 2)), np.zeros(3), 0), "batch_size"),
])
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
