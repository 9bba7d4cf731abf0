"""cnnlib.train: fit / evaluate / predict against plain torch computations."""
import functools
import pathlib
import subprocess
import sys
import textwrap
import warnings

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score, log_loss
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from cnnlib.train import (FitConfig, History, cpu_cores, default_device, evaluate, fit, predict,
                          seed_everything)


def blobs(n=96, seed=0):
    """Three well separated classes of 1x6x6 images."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    x = torch.randn(n, 1, 6, 6, generator=g) * 0.3
    x[:, 0, :2] += (y == 0)[:, None, None] * 2.0
    x[:, 0, 2:4] += (y == 1)[:, None, None] * 2.0
    x[:, 0, 4:] += (y == 2)[:, None, None] * 2.0
    return x, y


def small_net(dropout=0.0):
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Dropout(dropout),
                         nn.Linear(4 * 4 * 4, 3))


def fresh(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return small_net(dropout)


def test_fit_reaches_full_training_accuracy():
    x, y = blobs()
    model = fresh()
    history = fit(model, (x, y), epochs=15, lr=0.02, batch_size=16, device="cpu", progress=False)
    assert isinstance(history, History) and len(history) == 15
    assert history.train_acc[-1] == 1.0
    assert evaluate(model, (x, y))["acc"] == 1.0
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.val_loss == [] and len(history.epoch_time) == 15


def test_evaluate_and_predict_agree_with_sklearn():
    x, y = blobs(50, seed=1)
    model = fresh().eval()
    with torch.no_grad():
        logits = model(x)
    result = evaluate(model, (x, y), batch_size=7)
    probs = torch.softmax(logits.double(), 1).numpy()
    assert result["n"] == 50
    assert result["acc"] == pytest.approx(accuracy_score(y, probs.argmax(1)))
    assert result["loss"] == pytest.approx(log_loss(y, probs, labels=[0, 1, 2]), rel=1e-5)
    out = predict(model, TensorDataset(x, y), batch_size=7)
    # Batches of 7 instead of 50: the same numbers up to float32 rounding.
    np.testing.assert_allclose(out.logits, logits.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.probs.sum(1), 1, rtol=1e-6)
    np.testing.assert_array_equal(out.labels, y.numpy())
    unlabelled = predict(model, x.numpy())
    assert unlabelled.labels is None and unlabelled.logits.shape == (50, 3)


def test_validation_history_is_evaluate_after_each_epoch():
    x, y = blobs()
    xv, yv = blobs(30, seed=2)
    model = fresh()
    history = fit(model, (x, y), (xv, yv), epochs=2, batch_size=32, progress=False)
    final = evaluate(model, (xv, yv))
    assert history.val_loss[-1] == pytest.approx(final["loss"])
    assert history.val_acc[-1] == final["acc"]
    assert history["val_acc"] is history.val_acc
    assert set(history.to_dict()) == {"train_loss", "train_acc", "val_loss", "val_acc", "lr",
                                      "epoch_time"}


def test_first_epoch_equals_a_hand_written_loop():
    x, y = blobs(40)
    model, reference = fresh(), fresh()
    history = fit(model, (x, y), epochs=1, optimizer=functools.partial(torch.optim.SGD, lr=0.1),
                  batch_size=40, seed=3, progress=False)
    # One batch holding every sample: the order does not matter for the mean loss.
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    loss = F.cross_entropy(reference(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    assert history.train_loss[0] == pytest.approx(loss.item())
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)


def test_same_seed_same_run_and_data_forms_agree():
    x, y = blobs()
    runs = []
    for data in [(x, y), (x.numpy(), y.numpy()), TensorDataset(x, y),
                 DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)]:
        model = fresh(dropout=0.2)
        runs.append(fit(model, data, epochs=2, batch_size=16, seed=5, progress=False))
    assert all(r.train_loss == runs[0].train_loss for r in runs)
    other = fit(fresh(dropout=0.2), (x, y), epochs=2, batch_size=16, seed=6, progress=False)
    assert other.train_loss != runs[0].train_loss


class Interrupt(Exception):
    pass


def interrupting_loss(after):
    """Cross-entropy that raises at training step ``after`` (a simulated crash)."""
    calls = {"n": 0}

    def loss_fn(output, y):
        if torch.is_grad_enabled():
            calls["n"] += 1
            if calls["n"] == after:
                raise Interrupt
        return F.cross_entropy(output, y)
    return loss_fn


@pytest.mark.parametrize("form", ["pair", "loader"])
def test_resume_after_interruption_gives_identical_history(tmp_path, form):
    x, y = blobs(100)
    xv, yv = blobs(30, seed=2)
    data = (x, y) if form == "pair" else DataLoader(TensorDataset(x, y), batch_size=16,
                                                   shuffle=True)
    kwargs = dict(epochs=3, batch_size=16, seed=1, progress=False,
                  scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, 5, gamma=0.7),
                  optimizer=functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9))
    reference_model = fresh(dropout=0.3)
    reference = fit(reference_model, data, (xv, yv), **kwargs)

    path = tmp_path / "run.pt"
    # 7 batches per epoch: crash at step 11 (epoch 2, batch 4), after the checkpoint at step 10.
    with pytest.raises(Interrupt):
        fit(fresh(dropout=0.3), data, (xv, yv), checkpoint=path, checkpoint_every=5,
            loss_fn=interrupting_loss(after=11), **kwargs)
    state = torch.load(path, weights_only=False)
    assert (state["epoch"], state["step"]) == (1, 3)   # 10 steps = one epoch of 7 + 3
    # Resume in a model with different initial weights: they come from the checkpoint.
    resumed_model = fresh(seed=99, dropout=0.3)
    resumed = fit(resumed_model, data, (xv, yv), checkpoint=path, checkpoint_every=5, **kwargs)
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        assert resumed[key] == reference[key], key
    for p, q in zip(resumed_model.parameters(), reference_model.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    # A finished run resumed again has nothing left to do; more epochs continue it.
    assert fit(fresh(), data, checkpoint=path, **kwargs).train_loss == reference.train_loss
    longer = fit(fresh(dropout=0.3), data, (xv, yv), checkpoint=path, **{**kwargs, "epochs": 4})
    assert longer.train_loss[:3] == reference.train_loss and len(longer) == 4


def test_scheduler_lr_recorded_and_default_device():
    x, y = blobs(32)
    history = fit(fresh(), (x, y), epochs=2, batch_size=16, progress=False,
                  optimizer=functools.partial(torch.optim.SGD, lr=1.0),
                  scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5))
    assert history.lr == [0.25, 0.0625]        # stepped after each of the 2 batches per epoch
    assert default_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert default_device().type == expected


def test_threads_are_restored_after_fit():
    import os

    x, y = blobs(32)
    before = torch.get_num_threads()
    fit(fresh(), (x, y), epochs=1, num_threads=1, progress=False)
    assert torch.get_num_threads() == before
    assert 1 <= cpu_cores() <= os.cpu_count()
    with pytest.raises(ValueError, match="num_threads must be >= 1, got 0"):
        fit(fresh(), (x, y), num_threads=0)
    with pytest.raises(TypeError, match="num_threads must be an int, got float"):
        fit(fresh(), (x, y), num_threads=1.0)


def test_seed_everything_makes_numpy_and_torch_repeat():
    seed_everything(7)
    a = (np.random.rand(3), torch.rand(3))
    seed_everything(7)
    b = (np.random.rand(3), torch.rand(3))
    np.testing.assert_array_equal(a[0], b[0])
    torch.testing.assert_close(a[1], b[1])


def test_argument_errors(tmp_path):
    x, y = blobs(10)
    model = fresh()
    with pytest.raises(ValueError, match="epochs must be a non-negative int"):
        fit(model, (x, y), epochs=-1)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        fit(model, (x, y), batch_size=0)
    with pytest.raises(ValueError, match=r"checkpoint_every \(steps\) must be >= 1, got 0"):
        fit(model, (x, y), checkpoint=tmp_path / "run.pt", checkpoint_every=0)
    with pytest.raises(ValueError, match="checkpoint_every needs a checkpoint path"):
        fit(model, (x, y), checkpoint_every=3)
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        fit(model, (x, y[:9]))
    with pytest.raises(TypeError, match="train_data must be a Dataset, a DataLoader or a pair"):
        fit(model, x)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        fit(lambda t: t, (x, y))
    with pytest.raises(TypeError, match="optimizer must be None"):
        fit(model, (x, y), optimizer="adam")
    with pytest.raises(ValueError, match="evaluate needs pairs"):
        evaluate(model, TensorDataset(x))


def test_plot_history_draws_every_curve():
    import matplotlib

    matplotlib.use("Agg")
    from cnnlib.viz import plot_history

    x, y = blobs(32)
    history = fit(fresh(), (x, y), (x, y), epochs=3, batch_size=16, progress=False)
    fig = plot_history(history, val_label="test")
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["train", "test"]
    assert list(acc_ax.lines[0].get_ydata()) == history.train_acc
    runs = plot_history({"a": history, "b": history.to_dict()})
    assert len(runs.axes[0].lines) == 4
    with pytest.raises(ValueError, match="has no 'train_loss' entries"):
        plot_history({"train_loss": []})


@pytest.mark.slow
def test_progress_bars_do_not_break_nbval(tmp_path):
    """nbval runs a notebook that trains with progress bars (widgets in a kernel)."""
    code = textwrap.dedent("""\
        import torch
        from torch import nn
        from cnnlib.train import fit
        torch.manual_seed(0)
        x = torch.randn(64, 1, 4, 4); y = (x.mean((1, 2, 3)) > 0).long()
        model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
        history = fit(model, (x, y), (x, y), epochs=2, batch_size=16)""")
    check = nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(len(history), history.lr)")
    check.outputs = [nbformat.v4.new_output("stream", name="stdout", text="2 [0.001, 0.001]\n")]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code, execution_count=1), check]
    check.execution_count = 2
    path = tmp_path / "progress.ipynb"
    nbformat.write(nb, path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", "/dev/null", str(path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


# --------------------------------------------------------------------------- loop and safety
class Recorder(nn.Module):
    """A linear classifier that records the samples (numbered in pixel 0) of each training batch."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(36, 3)
        self.seen = []

    def forward(self, x):
        if self.training:
            self.seen.append(x[:, 0, 0, 0].round().long().tolist())
        return self.linear(x.flatten(1))


def test_two_epochs_see_different_batch_orders_each_a_permutation():
    x, y = blobs(40)
    x[:, 0, 0, 0] = torch.arange(40, dtype=x.dtype)          # each sample carries its index
    model = Recorder()
    fit(model, (x, y), epochs=2, batch_size=8, progress=False)
    first = [i for b in model.seen[:5] for i in b]
    second = [i for b in model.seen[5:] for i in b]
    assert len(model.seen) == 10
    assert sorted(first) == sorted(second) == list(range(40))   # every sample once per epoch
    assert first != second                                      # reshuffled
    assert first != list(range(40))                             # shuffled at all


def nan_loss_at(step):
    """Cross-entropy, but NaN from the ``step``-th training call on."""
    calls = []

    def loss_fn(output, y):
        if output.requires_grad:
            calls.append(1)
        loss = F.cross_entropy(output, y)
        return loss * float("nan") if len(calls) >= step else loss
    return loss_fn


def test_a_non_finite_loss_stops_fit_with_a_clear_message_and_keeps_finite_weights(tmp_path):
    x, y = blobs(32)
    path = tmp_path / "run.pt"
    model = fresh()
    # 2 batches per epoch: the loss turns NaN at step 3, the first step of epoch 2.
    with pytest.raises(FloatingPointError, match=r"the training loss became nan at epoch 2, "
                                                 r"step 1: training diverged"):
        fit(model, (x, y), epochs=3, batch_size=16, checkpoint=path, loss_fn=nan_loss_at(3),
            progress=False)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    state = torch.load(path, weights_only=False)
    assert state["epoch"] == 1
    assert all(torch.isfinite(t).all() for t in state["model"].values() if t.is_floating_point())


def nan_gradient_loss(output, y):
    """A finite loss whose gradient is NaN: d sqrt(u)/du at u = 0 is infinite, times 0."""
    zero = output - output.detach()
    return F.cross_entropy(output, y) + 0 * torch.sqrt(zero).sum()


def test_nan_weights_are_never_checkpointed(tmp_path):
    x, y = blobs(32)
    path = tmp_path / "run.pt"
    model = fresh()
    with pytest.raises(FloatingPointError, match=r"hold NaN or infinite values at epoch 1, "
                                                 r"step 1; they are not saved"):
        fit(model, (x, y), epochs=1, batch_size=16, checkpoint=path, checkpoint_every=1,
            loss_fn=nan_gradient_loss, optimizer=functools.partial(torch.optim.SGD, lr=0.1),
            progress=False)
    assert not any(torch.isfinite(p).all() for p in model.parameters())
    assert not path.exists()


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", None])
def test_a_corrupt_checkpoint_names_the_file(tmp_path, content):
    x, y = blobs(16)
    path = tmp_path / "run.pt"
    if content is None:
        torch.save({"model": {}}, path)                       # a torch file, but not a run
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"checkpoint {path} (cannot be read|is not a "
                                         rf"checkpoint of cnnlib.train.fit).*resume=False"):
        fit(fresh(), (x, y), checkpoint=path, progress=False)
    fit(fresh(), (x, y), checkpoint=path, resume=False, progress=False)   # the way out works


def test_resuming_with_a_changed_learning_rate_warns(tmp_path):
    x, y = blobs(32)
    path = tmp_path / "run.pt"
    fit(fresh(), (x, y), epochs=1, lr=1e-3, checkpoint=path, progress=False)
    with pytest.warns(UserWarning,
                      match=r"saved with other hyper-parameters \(lr: 0.001 -> 0.01\)"):
        fit(fresh(), (x, y), epochs=2, lr=1e-2, checkpoint=path, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                        # same values: no warning
        fit(fresh(), (x, y), epochs=3, lr=1e-3, checkpoint=path, progress=False)
    with pytest.warns(UserWarning, match=r"batch_size: 128 -> 8"):
        fit(fresh(), (x, y), epochs=4, batch_size=8, checkpoint=path, progress=False)


@pytest.mark.slow
def test_fit_evaluate_predict_are_reachable_from_the_package_without_loading_torch_early():
    import cnnlib
    import cnnlib.train

    assert (cnnlib.fit, cnnlib.evaluate, cnnlib.predict) == (fit, evaluate, predict)
    code = ("import sys, cnnlib; assert 'torch' not in sys.modules; cnnlib.fit; "
            "assert 'torch' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- one config object
def test_a_config_object_and_keywords_give_the_same_run():
    x, y = blobs(32)
    by_keywords = fit(fresh(), (x, y), epochs=2, batch_size=16, lr=0.01, progress=False)
    config = FitConfig(epochs=2, batch_size=16, lr=0.01, progress=False)
    by_config = fit(fresh(), (x, y), config=config)
    assert by_config.train_loss == by_keywords.train_loss
    # Keywords replace the config's fields; the config itself is left as it was.
    longer = fit(fresh(), (x, y), config=config, epochs=3)
    assert len(longer) == 3 and config.epochs == 2
    assert longer.train_loss[:2] == by_keywords.train_loss


def test_fit_options_are_the_config_fields():
    x, y = blobs(16)
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['epoch'\]; the options are the "
                                        r"fields of FitConfig: epochs, optimizer, lr"):
        fit(fresh(), (x, y), epoch=2)
    with pytest.raises(TypeError, match="config must be a FitConfig, got dict"):
        fit(fresh(), (x, y), config={"epochs": 2})
    with pytest.raises(ValueError, match="divergence must be a factor > 1, got 0.5"):
        fit(fresh(), (x, y), divergence=0.5)


# --------------------------------------------------------------------------- bad runs
def exploding_loss(output, y):
    """Cross-entropy scaled by 10**(10 * step): 1e30 times the first loss by step 4, yet finite."""
    exploding_loss.step += 1
    return F.cross_entropy(output, y) * 10.0 ** (10 * (exploding_loss.step - 1))


def test_a_loss_growing_without_overflowing_warns_that_training_diverges():
    x, y = blobs(64)
    exploding_loss.step = 0
    with pytest.warns(RuntimeWarning, match=r"the training loss grew from \S+ at the first step "
                                            r"to \S+e\+\d+ at epoch 1, step 2, more than 10000 "
                                            r"times: training is diverging"):
        history = fit(fresh(), (x, y), epochs=1, batch_size=16, loss_fn=exploding_loss,
                      optimizer=functools.partial(torch.optim.SGD, lr=0.0), progress=False)
    assert np.isfinite(history.train_loss[-1]) and history.train_loss[-1] > 1e29
    with warnings.catch_warnings():
        warnings.simplefilter("error")                # an ordinary run: no warning
        fit(fresh(), (x, y), epochs=2, batch_size=16, progress=False)


def test_resuming_an_adam_checkpoint_with_sgd_is_refused_by_name(tmp_path):
    x, y = blobs(32)
    path = tmp_path / "run.pt"
    fit(fresh(), (x, y), epochs=1, checkpoint=path, progress=False)      # Adam
    sgd = functools.partial(torch.optim.SGD, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=rf"checkpoint {path} was saved with the optimiser Adam, "
                                         rf"but this run uses SGD.*resume=False"):
        fit(fresh(), (x, y), epochs=2, optimizer=sgd, checkpoint=path, progress=False)
    assert len(fit(fresh(), (x, y), epochs=2, optimizer=sgd, checkpoint=path, resume=False,
                   progress=False)) == 2


def test_two_runs_saving_one_checkpoint_never_share_a_temporary_file(tmp_path, monkeypatch):
    import cnnlib.train.checkpoint as checkpoint
    written, save = [], torch.save
    monkeypatch.setattr(checkpoint.torch, "save",
                        lambda obj, f: (written.append(pathlib.Path(f)), save(obj, f)))
    x, y = blobs(16)
    path = tmp_path / "run.pt"
    for _ in range(2):
        fit(fresh(), (x, y), epochs=1, checkpoint=path, resume=False, progress=False)
    assert len(written) == 2 and written[0] != written[1]
    assert all(f.parent == tmp_path and f.name.startswith("run.pt.") for f in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]        # nothing left over


class WritesAMarker:
    """Unpickling this object opens (creates) the marker file: code run by loading a file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def tamper(path, change):
    state = torch.load(path, weights_only=True)
    change(state)
    torch.save(state, path)


def test_a_checkpoint_that_would_run_code_is_refused_and_runs_nothing(tmp_path):
    x, y = blobs(16)
    path, marker = tmp_path / "run.pt", tmp_path / "marker"
    fit(fresh(), (x, y), epochs=1, checkpoint=path, progress=False)
    tamper(path, lambda state: state["history"].update(extra=WritesAMarker(marker)))
    with pytest.raises(ValueError, match=rf"checkpoint {path} is refused: it names \S*open, "
                                         rf"which loading it would call.*load no file you did "
                                         rf"not make"):
        fit(fresh(), (x, y), epochs=2, checkpoint=path, progress=False)
    assert not marker.exists()
    # The control: without weights_only the same file does run its code.
    torch.load(path, weights_only=False)["history"]["extra"].close()
    assert marker.exists()


@pytest.mark.parametrize("change, rule", [
    (lambda state: state.update(note="hello"), r"the unknown keys \['note'\]"),
    (lambda state: state.update(epoch="1"), r"values of the wrong type under \['epoch'\]"),
])
def test_a_tampered_checkpoint_is_refused_by_the_allow_list(tmp_path, change, rule):
    x, y = blobs(16)
    path = tmp_path / "run.pt"
    fit(fresh(), (x, y), epochs=1, checkpoint=path, progress=False)
    tamper(path, change)
    with pytest.raises(ValueError, match=rf"checkpoint {path} is refused: it holds {rule}"):
        fit(fresh(), (x, y), epochs=2, checkpoint=path, progress=False)
