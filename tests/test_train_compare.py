"""cnnlib.train.compare: designs trained alike over seeds, against direct calls of fit."""
import statistics

import numpy as np
import pytest
import torch
from torch import nn

from cnnlib.train import History, final_accuracies, fit, fit_designs, seed_everything, spread_table


def _data():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(24, 1, 4, 4, generator=g).numpy()
    return x, (x.reshape(24, -1).sum(axis=1) > 0).astype(np.int64)


def _build(name):
    hidden = {"narrow": 2, "wide": 8}[name]
    return nn.Sequential(nn.Flatten(), nn.Linear(16, hidden), nn.ReLU(), nn.Linear(hidden, 2))


OPTIONS = dict(epochs=2, batch_size=8, lr=1e-2, device="cpu")


def test_each_run_is_seeded_like_a_direct_call_of_fit():
    data = _data()
    histories, models = fit_designs(_build, ["narrow", "wide"], data, data, seeds=(0, 5),
                                    progress=False, **OPTIONS)
    assert sorted(histories) == [("narrow", 0), ("narrow", 5), ("wide", 0), ("wide", 5)]
    for name, seed in histories:
        seed_everything(seed)
        model = _build(name)
        direct = fit(model, data, data, seed=seed, progress=False, **OPTIONS)
        assert histories[name, seed].train_loss == direct.train_loss
        assert histories[name, seed].val_acc == direct.val_acc
        for p, q in zip(models[name, seed].parameters(), model.parameters()):
            assert torch.equal(p, q)


def test_another_seed_gives_another_run():
    data = _data()
    histories, _ = fit_designs(_build, ["wide"], data, seeds=(0, 1), progress=False, **OPTIONS)
    assert histories["wide", 0].train_loss != histories["wide", 1].train_loss


def test_bad_arguments_name_the_rule():
    data = _data()
    with pytest.raises(TypeError, match="build must be a callable"):
        fit_designs("narrow", ["narrow"], data)
    with pytest.raises(ValueError, match="names and seeds must not be empty"):
        fit_designs(_build, [], data)
    with pytest.raises(TypeError, match="seeds=..."):
        fit_designs(_build, ["narrow"], data, seed=1)


def test_final_accuracies_are_the_last_epochs_in_the_order_of_the_seeds():
    runs = {("a", 2): History(train_acc=[0.1, 0.3], val_acc=[0.2, 0.9]),
            ("a", 0): History(train_acc=[0.5, 0.7], val_acc=[0.4, 0.8]),
            ("b", 0): History(train_acc=[0.6], val_acc=[0.1])}
    got = final_accuracies(runs)
    np.testing.assert_array_equal(got["a"], [0.7, 0.3])
    np.testing.assert_array_equal(got["b"], [0.6])
    np.testing.assert_array_equal(final_accuracies(runs, "val_acc")["a"], [0.8, 0.9])
    with pytest.raises(ValueError, match="no 'val_loss' entries"):
        final_accuracies(runs, "val_loss")


def test_spread_table_gives_the_sample_mean_and_standard_deviation():
    acc = {"net": np.array([0.61, 0.48, 0.75]), "other": np.array([0.2, 0.3, 0.25])}
    lines = spread_table({"training": acc, "validation": acc}).splitlines()
    assert lines[0] == "mean ± standard deviation (min-max) over 3 seeds"
    for line, values in zip(lines[1:], acc.values()):
        mean, std = statistics.mean(values.tolist()), statistics.stdev(values.tolist())
        part = f"{mean:.1%} ± {std:.1%} ({min(values):.1%}-{max(values):.1%})"
        assert line.count(part) == 2, (line, part)
    with pytest.raises(ValueError, match="at least 2 seeds"):
        spread_table({"training": {"net": np.array([0.5])}})
