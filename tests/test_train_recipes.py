"""cnnlib.train.recipes: the held-out split and the one-cycle run of lesson 04a."""
import numpy as np
import pytest
import torch
from torch import nn

from cnnlib.train import fit_one_cycle, holdout_split


def test_holdout_split_partitions_the_samples_and_keeps_pairs():
    x = np.arange(60).reshape(60, 1, 1, 1).astype(np.float32)
    y = np.arange(60) * 10
    (x_fit, y_fit), (x_val, y_val) = holdout_split(x, y, fraction=1 / 12, seed=3)
    assert len(x_val) == 5 and len(x_fit) == 55
    assert sorted(np.concatenate([y_fit, y_val]).tolist()) == y.tolist()
    np.testing.assert_array_equal(x_fit[:, 0, 0, 0] * 10, y_fit)     # pairs stay together
    np.testing.assert_array_equal(x_val[:, 0, 0, 0] * 10, y_val)
    # The same seed gives the same split; numpy's seeded permutation is the oracle.
    order = np.random.default_rng(3).permutation(60)
    np.testing.assert_array_equal(y_val, y[order[:5]])


def test_holdout_split_refuses_bad_input():
    x, y = np.zeros((10, 1, 2, 2)), np.zeros(10)
    with pytest.raises(ValueError, match="same length"):
        holdout_split(x, y[:9])
    with pytest.raises(ValueError, match="fraction must be between 0 and 1"):
        holdout_split(x, y, fraction=1.0)
    with pytest.raises(ValueError, match="leaves no validation"):
        holdout_split(x, y, fraction=0.05)


def _data(n=50, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 4, 4, generator=g)
    return x, (x.mean(dim=(1, 2, 3)) > 0).long()


def test_one_cycle_steps_once_per_batch_and_ends_near_zero():
    # 50 samples in batches of 16 is 4 batches per epoch, 12 in 3 epochs: OneCycleLR raises
    # if stepped more often than its total_steps, and ends near zero only if not stepped less.
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    lrs = []
    original_step = torch.optim.Adam.step

    def step(self, *args, **kwargs):
        lrs.append(self.param_groups[0]["lr"])
        return original_step(self, *args, **kwargs)

    torch.optim.Adam.step = step
    try:
        history = fit_one_cycle(model, _data(), _data(20, 1), epochs=3, max_lr=0.01,
                                batch_size=16, device="cpu")
    finally:
        torch.optim.Adam.step = original_step
    assert len(lrs) == 12
    assert max(lrs) == pytest.approx(0.01, rel=0.05)
    assert lrs[0] == pytest.approx(0.01 / 25, rel=0.05)     # OneCycleLR's div_factor
    assert lrs[-1] < 1e-6                                    # the last step anneals to ~0
    assert len(history.val_acc) == 3


def test_one_cycle_refuses_bad_settings():
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    with pytest.raises(ValueError, match="epochs"):
        fit_one_cycle(model, _data(), epochs=0, max_lr=0.01)
    with pytest.raises(ValueError, match="max_lr"):
        fit_one_cycle(model, _data(), epochs=1, max_lr=0)
    with pytest.raises(TypeError, match="DataLoader"):
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*_data()))
        fit_one_cycle(model, loader, epochs=1, max_lr=0.01)
