"""cnnlib.adversarial against autograd computed by hand, and the attacks' guarantees."""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, strategies as st
from torch import nn

from cnnlib.adversarial import adversarial_fit, fgsm, pgd


def tiny_cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 3)).eval()


def hand_gradient(model, x, y):
    """d mean cross-entropy / d x with autograd, written out without cnnlib."""
    x = x.clone().requires_grad_(True)
    F.cross_entropy(model(x), y).backward()
    return x.grad


def toy_data(n=600, seed=0):
    """Two classes of 4x4 'images': one strong pixel, and 15 weak ones that add up.

    Plain training leans on the weak pixels, which an attack of 0.2 per pixel flips; the
    strong pixel alone survives it (the classes stand 0.5 apart there), so a robust model
    exists and adversarial training can find it.
    """
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    s = (2 * y - 1).float()[:, None]
    x = 0.5 + 0.15 * s + 0.1 * torch.randn(n, 16, generator=g)
    x[:, 0] = 0.5 + 0.25 * s[:, 0] + 0.03 * torch.randn(n, generator=g)
    return x.clamp(0, 1).reshape(n, 1, 4, 4), y


@pytest.fixture(scope="module")
def trained_toy():
    x, y = toy_data()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return model.eval(), x, y


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def loss_of(model, x, y):
    with torch.no_grad():
        return F.cross_entropy(model(x), y).item()


# --------------------------------------------------------------------------- FGSM
@given(seed=st.integers(0, 2**16), epsilon=st.floats(0.0, 0.2))
def test_fgsm_step_is_epsilon_times_sign_of_the_autograd_gradient(seed, epsilon):
    model = tiny_cnn(seed % 7)
    g = torch.Generator().manual_seed(seed)
    x = 0.25 + 0.5 * torch.rand(5, 1, 6, 6, generator=g)     # interior: no clipping
    y = torch.randint(0, 3, (5,), generator=g)
    expected = x + epsilon * hand_gradient(model, x, y).sign()
    torch.testing.assert_close(fgsm(model, x, y, epsilon), expected, rtol=0, atol=1e-7)


def test_fgsm_clips_to_the_pixel_range():
    model = tiny_cnn()
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(8, 1, 6, 6, generator=g) > 0.5).float()  # pixels at 0 and 1
    y = torch.randint(0, 3, (8,), generator=g)
    expected = (x + 0.3 * hand_gradient(model, x, y).sign()).clamp(0, 1)
    x_adv = fgsm(model, x, y, 0.3)
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    torch.testing.assert_close(x_adv, expected, rtol=0, atol=0)
    x_adv = fgsm(model, x * 2 - 1, y, 0.3, clip=(-1.0, 1.0))
    assert x_adv.min() >= -1 and x_adv.max() <= 1 and x_adv.min() < 0


def test_fgsm_raises_the_loss_and_lowers_the_accuracy_of_a_trained_model(trained_toy):
    model, x, y = trained_toy
    x_adv = fgsm(model, x, y, 0.2)
    assert loss_of(model, x_adv, y) > loss_of(model, x, y) + 0.1
    assert accuracy(model, x_adv, y) < accuracy(model, x, y) - 0.1


def test_fgsm_leaves_the_model_and_input_alone():
    model = tiny_cnn()
    before = copy.deepcopy(model.state_dict())
    x = torch.full((2, 1, 6, 6), 0.5)
    fgsm(model, x, torch.tensor([0, 1]), 0.1)
    assert all(p.grad is None for p in model.parameters())
    assert not x.requires_grad and torch.equal(x, torch.full((2, 1, 6, 6), 0.5))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


# --------------------------------------------------------------------------- PGD
@given(seed=st.integers(0, 2**16), epsilon=st.floats(0.0, 0.4), alpha=st.floats(0.01, 0.5),
       steps=st.integers(1, 4), random_start=st.booleans())
def test_pgd_stays_in_the_epsilon_ball_and_the_pixel_range(seed, epsilon, alpha, steps,
                                                           random_start):
    model = tiny_cnn(seed % 5)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(4, 1, 6, 6, generator=g)
    x[0] = 0.0
    x[1] = 1.0                                # pixels on the edges of the range
    y = torch.randint(0, 3, (4,), generator=g)
    x_adv = pgd(model, x, y, epsilon, alpha, steps, random_start=random_start, generator=g)
    assert x_adv.shape == x.shape
    assert (x_adv - x).abs().max().item() <= epsilon + 1e-6
    assert x_adv.min().item() >= 0 and x_adv.max().item() <= 1


def test_pgd_never_evaluates_the_model_outside_the_pixel_range():
    # The random start is clipped too, so every gradient is taken at a valid image.
    seen = []
    model = tiny_cnn()
    model.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0].detach()))
    x = torch.zeros(3, 1, 6, 6)
    x[1] = 1.0
    pgd(model, x, torch.tensor([0, 1, 2]), 0.3, 0.1, 3, generator=torch.Generator().manual_seed(0))
    assert len(seen) == 3
    assert all(s.min() >= 0 and s.max() <= 1 for s in seen)


def test_pgd_one_step_from_x_with_alpha_epsilon_is_fgsm():
    model = tiny_cnn(3)
    g = torch.Generator().manual_seed(3)
    x = torch.rand(6, 1, 6, 6, generator=g)
    y = torch.randint(0, 3, (6,), generator=g)
    expected = (x + 0.1 * hand_gradient(model, x, y).sign()).clamp(0, 1)
    torch.testing.assert_close(pgd(model, x, y, 0.1, 0.1, 1, random_start=False), expected,
                               rtol=0, atol=1e-7)


def test_pgd_projects_every_step_not_only_the_last():
    # Steps of 0.5 against a budget of 0.05: without a projection after each step the
    # second gradient would be taken outside the ball; with it, x + 0.05 * sign(g) twice
    # is the same point as once when the sign does not change.
    model = nn.Sequential(nn.Flatten(), nn.Linear(36, 2)).eval()
    x = torch.full((3, 1, 6, 6), 0.5)
    y = torch.tensor([0, 1, 0])
    expected = x + 0.05 * hand_gradient(model, x, y).sign()    # linear: the sign never changes
    torch.testing.assert_close(pgd(model, x, y, 0.05, 0.5, 3, random_start=False), expected,
                               rtol=0, atol=1e-7)


def test_pgd_does_at_least_as_well_as_fgsm_on_a_trained_model(trained_toy):
    model, x, y = trained_toy
    for epsilon in (0.1, 0.15, 0.2):
        x_fgsm = fgsm(model, x, y, epsilon)
        x_pgd = pgd(model, x, y, epsilon, 2.5 * epsilon / 10, 10,
                    generator=torch.Generator().manual_seed(0))
        assert loss_of(model, x_pgd, y) >= loss_of(model, x_fgsm, y)
        assert accuracy(model, x_pgd, y) <= accuracy(model, x_fgsm, y)
    assert accuracy(model, x_pgd, y) < accuracy(model, x, y) - 0.3


def test_pgd_random_start_is_reproducible_with_a_generator():
    model = tiny_cnn()
    x = torch.full((2, 1, 6, 6), 0.5)
    y = torch.tensor([0, 2])
    a = pgd(model, x, y, 0.1, 0.02, 2, generator=torch.Generator().manual_seed(5))
    b = pgd(model, x, y, 0.1, 0.02, 2, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


# --------------------------------------------------------------------------- training
def test_adversarial_training_raises_accuracy_under_attack(trained_toy):
    model, x, y = trained_toy
    robust = copy.deepcopy(model)
    epsilon = 0.2
    losses = adversarial_fit(robust, (x.numpy(), y.numpy()), epsilon, steps=3, epochs=15,
                             batch_size=100, lr=1e-2, progress=False)
    assert len(losses) == 15 and not robust.training

    def attacked(m):
        return accuracy(m, pgd(m, x, y, epsilon, 0.05, 10,
                               generator=torch.Generator().manual_seed(1)), y)
    assert attacked(robust) > attacked(model) + 0.1


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, error, words", [
    (dict(epsilon=-0.1), ValueError, "epsilon"),
    (dict(epsilon=float("nan")), ValueError, "epsilon"),
    (dict(epsilon=True), ValueError, "epsilon"),
    (dict(alpha=0.0), ValueError, "alpha"),
    (dict(steps=0), ValueError, "steps"),
    (dict(steps=1.5), TypeError, "steps"),
    (dict(clip=(1.0, 0.0)), ValueError, "clip"),
    (dict(y=torch.tensor([0, 1, 2])), ValueError, "y must"),
    (dict(y=torch.tensor([0.0, 1.0])), ValueError, "y must"),
    (dict(x=np.zeros((2, 1, 6, 6))), TypeError, "x must"),
    (dict(x=torch.zeros(2, 1, 6, 6, dtype=torch.int64)), TypeError, "x must"),
    (dict(model=lambda t: t), TypeError, "model must"),
])
def test_argument_errors_name_the_parameter(kwargs, error, words):
    args = dict(model=tiny_cnn(), x=torch.zeros(2, 1, 6, 6), y=torch.tensor([0, 1]),
                epsilon=0.1, alpha=0.01, steps=2, clip=(0.0, 1.0))
    args.update(kwargs)
    with pytest.raises(error, match=words):
        pgd(**args)
    if not {"alpha", "steps"} & kwargs.keys():
        args.pop("alpha"), args.pop("steps")
        with pytest.raises(error, match=words):
            fgsm(**args)


def test_adversarial_fit_argument_errors():
    model = tiny_cnn()
    data = (np.zeros((4, 1, 6, 6), np.float32), np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="epochs"):
        adversarial_fit(model, data, 0.1, epochs=0)
    with pytest.raises(ValueError, match="same length"):
        adversarial_fit(model, (data[0], data[1][:3]), 0.1)
    with pytest.raises(ValueError, match="epsilon"):
        adversarial_fit(model, data, -1.0, progress=False)
