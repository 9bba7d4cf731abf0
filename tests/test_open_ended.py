"""Assignment 2, Part 6: a network designed within a budget, judged from its weights file.

Synthetic and fast: the test images are the grader's own (``COURSE_OPEN_TEST_IMAGES``), made
here so that a hand-set linear network reaches a known accuracy; parameter counts and
multiply-adds are expected from the formulas (k*k*c_in*c_out per output position), not from
the code under test.  The last tests run the real grader (sandbox, worker processes) on a
class of three.
"""
import csv
import json
import pathlib
import pickle

import nbformat
import numpy as np
import pytest
import torch

from course_admin import leaderboard
from course_admin.checks import open_ended as oe

ROOT = pathlib.Path(__file__).resolve().parent.parent
STUDENT_A2 = ROOT / "notebooks" / "assignments" / "02_architectures.ipynb"
N = 1000
LINEAR = [["flatten"], ["linear", 784, 10]]          # 7,850 parameters, 7,840 multiply-adds


def _images(tmp_path, wrong=0):
    """Class c: pixel row 2c is bright.  ``wrong`` labels are changed (nobody can get them)."""
    rng = np.random.default_rng(0)
    y = np.arange(N) % 10
    x = (rng.random((N, 28, 28)) * 40).astype(np.uint8)
    x[np.arange(N), 2 * y, :] = 255
    labels = y.copy()
    labels[:wrong] = (labels[:wrong] + 1) % 10
    path = tmp_path / "own_test.npz"
    np.savez(path, x=x, y=labels)
    return path


def _linear_state():
    """A linear layer that reads row 2c for class c: right on every synthetic image."""
    w = torch.zeros(10, 784)
    for c in range(10):
        w[c, 2 * c * 28:(2 * c + 1) * 28] = 1.0
    return {"1.weight": w, "1.bias": torch.zeros(10)}


def _save(folder, spec, state, name=oe.WEIGHTS_FILE):
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"format": oe.FORMAT, "spec": spec, "state_dict": state}, folder / name)
    return folder


@pytest.fixture
def own_images(tmp_path, monkeypatch):
    def use(wrong=0):
        monkeypatch.setenv(oe.TEST_IMAGES_ENV, str(_images(tmp_path, wrong)))
    use()
    return use


# --------------------------------------------------------------------------- the verdict
@pytest.mark.parametrize("wrong, points, band", [(0, 3, ">= 91%"), (90, 3, ">= 91%"),
                                                 (100, 2, ">= 89.5%"), (120, 1, ">= 88%"),
                                                 (121, 0, "< 88%")])
def test_a_network_within_the_budget_gets_its_band(tmp_path, own_images, wrong, points, band):
    own_images(wrong)                       # accuracy exactly (N - wrong) / N
    score = oe.score_folder(_save(tmp_path / "s", LINEAR, _linear_state()))
    assert score.accuracy == pytest.approx((N - wrong) / N)
    assert (score.points, score.band, score.within_budget) == (points, band, True)
    assert (score.params, score.macs) == (784 * 10 + 10, 784 * 10)


def _conv_spec(c):
    # conv 1->c 3x3 pad 1 at 28x28, conv c->c 3x3 pad 1 at 28x28, gap, linear c->10
    return [["conv", 1, c, 3, 1, 1], ["relu"], ["conv", c, c, 3, 1, 1], ["relu"], ["gap"],
            ["flatten"], ["linear", c, 10]]


def test_a_network_over_the_budget_scores_0_with_a_note(tmp_path, own_images):
    # Parameters over: LeNet-5 as in Part 1 (61,706 > 60,000; count by hand).
    lenet = [["conv", 1, 6, 5, 1, 2], ["relu"], ["maxpool", 2], ["conv", 6, 16, 5], ["relu"],
             ["maxpool", 2], ["flatten"], ["linear", 400, 120], ["relu"], ["linear", 120, 84],
             ["relu"], ["linear", 84, 10]]
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84), torch.nn.ReLU(),
        torch.nn.Linear(84, 10))
    score = oe.score_folder(_save(tmp_path / "lenet", lenet, net.state_dict()))
    params = (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + 850
    assert params == 61_706
    assert (score.points, score.params, score.within_budget) == (0, params, False)
    assert "over the budget" in score.message and "61,706 parameters > 60,000" in score.message
    # Multiply-adds over with few parameters: 64 channels at full resolution.
    c = 64
    net = oe.build(_conv_spec(c))
    score = oe.score_folder(_save(tmp_path / "wide", _conv_spec(c), net.state_dict()))
    macs = 28 * 28 * 9 * c + 28 * 28 * 9 * c * c + c * 10
    assert (score.points, score.macs, score.within_budget) == (0, macs, False)
    assert score.params == 9 * c + c + 9 * c * c + c + 10 * c + 10 < oe.BUDGET["params"]
    assert f"{macs:,} multiply-adds per image > 5,000,000" in score.message
    # Just within: 20 channels (20*9 + 20 + 3600 + 20 + 210 parameters, 3.0 M multiply-adds).
    net = oe.build(_conv_spec(20))
    assert oe.score_folder(_save(tmp_path / "ok", _conv_spec(20), net.state_dict())).within_budget


class _Payload:
    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(_Payload.marker),))


@pytest.mark.parametrize("case", ["code", "foreign", "other shapes", "extra", "nan", "big",
                                  "not torch", "unknown layer", "float64", "symlink"])
def test_a_tampered_or_foreign_weights_file_is_refused_with_a_message(tmp_path, own_images,
                                                                      case):
    folder, state = tmp_path / "s", _linear_state()
    folder.mkdir()
    path = folder / oe.WEIGHTS_FILE
    _Payload.marker = str(tmp_path / "ran")
    if case == "code":             # unpickling would run code: weights_only refuses it
        torch.save({"format": oe.FORMAT, "spec": LINEAR, "state_dict": state,
                    "x": _Payload()}, path)
    elif case == "foreign":        # another network's plain state dict
        torch.save(torch.nn.Linear(784, 10).state_dict(), path)
    elif case == "other shapes":
        _save(folder, [["flatten"], ["linear", 784, 12]], state)
    elif case == "extra":
        _save(folder, LINEAR, {**state, "2.weight": torch.zeros(3)})
    elif case == "nan":
        _save(folder, LINEAR, {**state, "1.bias": torch.full((10,), float("nan"))})
    elif case == "big":
        path.write_bytes(b"\0" * (oe.MAX_FILE + 1))
    elif case == "not torch":
        path.write_bytes(pickle.dumps({"format": oe.FORMAT}))
    elif case == "unknown layer":
        _save(folder, [["flatten"], ["lambda", 784, 10]], state)
    elif case == "float64":
        _save(folder, LINEAR, {k: v.double() for k, v in state.items()})
    elif case == "symlink":
        _save(tmp_path / "elsewhere", LINEAR, state)
        path.symlink_to(tmp_path / "elsewhere" / oe.WEIGHTS_FILE)
    score = oe.score_folder(folder)
    assert score.points == 0 and score.accuracy is None and score.message.startswith("0 points")
    expected = {"code": "weights_only=True", "foreign": "not the assignment's format",
                "other shapes": "do not fit the spec", "extra": "not in the spec",
                "nan": "NaN", "big": "MB", "not torch": "weights_only=True",
                "unknown layer": "unknown layer 'lambda'", "float64": "float32 expected",
                "symlink": "no open_net.pt"}[case]
    assert expected in score.message
    assert not (tmp_path / "ran").exists()


def test_no_file_handed_in_scores_0_with_a_note(tmp_path, own_images):
    score = oe.score_folder(tmp_path)
    assert (score.points, score.message) == (0, "0 points: no open_net.pt handed in beside "
                                                "the notebook")


def test_the_grader_and_the_notebook_build_the_same_network():
    """The notebook's build_network (students) and the grader's: same names, shapes, outputs."""
    source = nbformat.read(ROOT / "notebooks/assignments/source/02_architectures.ipynb", 4)
    (setup,) = [c.source for c in source.cells if c.get("id") == "open_setup"]
    import cnnlib
    namespace = {"nn": torch.nn, "torch": torch, "np": np, "cnnlib": cnnlib}
    exec(compile(setup, "open_setup", "exec"), namespace)
    spec = [["conv", 1, 8, 3, 1, 1, 1, 0], ["bn", 8], ["relu"], ["block", 8, 16, 2],
            ["block", 16, 16], ["maxpool", 2], ["conv", 16, 16, 3, 1, 1, 16], ["avgpool", 3, 1],
            ["dropout"], ["gap"], ["flatten"], ["linear", 16, 10, 0]]
    theirs, ours = namespace["build_network"](spec).eval(), oe.build(spec).eval()
    assert [(k, v.shape) for k, v in theirs.state_dict().items()] == \
        [(k, v.shape) for k, v in ours.state_dict().items()]
    ours.load_state_dict(theirs.state_dict())
    x = torch.rand(3, 1, 28, 28)
    torch.testing.assert_close(ours(x), theirs(x))
    assert source.cells[[c.get("id") for c in source.cells].index("open_setup")].source.count(
        "OPEN_BUDGET = {\"params\": 60_000, \"macs\": 5_000_000") == 1
    assert (oe.BUDGET["params"], oe.BUDGET["macs"]) == (60_000, 5_000_000)
    assert "OPEN_BANDS = [(0.91, 3), (0.895, 2), (0.88, 1)]" in setup
    assert oe.BANDS == ((0.91, 3.0), (0.895, 2.0), (0.88, 1.0))


def test_the_grader_test_images_are_none_the_assignment_uses():
    """Full data: not the first 1,500 test images (Part 4) nor the shipped subset's."""
    import cnnlib
    x, y, source = oe.test_images()
    full_x, _ = cnnlib.fashion_mnist_arrays(train=False)
    if len(full_x) <= 5000:
        assert "students have them" in source
        return
    shipped = oe._subset_test_keys()
    assert len(shipped) == 1000
    ours = {row.tobytes() for row in np.rint(x[:, 0] * 255).astype(np.uint8)}
    assert not ours & shipped
    assert not ours & {row.tobytes() for row in
                       np.rint(full_x[:1500, 0] * 255).astype(np.uint8)}
    assert len(x) == len(y) >= 8000


# --------------------------------------------------------------------------- leaderboard
def test_the_leaderboard_ranks_within_budget_first_and_merges_by_student(tmp_path):
    class R:
        assignment = "02_architectures"

        def __init__(self, student, **rec):
            self.student, self.leaderboard = student, rec

    rows = {}
    for r in [R("b", accuracy=0.90, params=20_000, macs=2_000_000, band=">= 89.5%", points=2,
                within_budget=True),
              R("a", accuracy=0.95, params=70_000, macs=1, band="over budget", points=0,
                within_budget=False),
              R("c", accuracy=0.90, params=10_000, macs=1_000_000, band=">= 89.5%", points=2,
                within_budget=True),
              R("d", points=0, note="0 points: no open_net.pt handed in")]:
        rows = leaderboard.record(tmp_path, r)
    assert [(r["rank"], r["student_id"]) for r in rows] == [("1", "c"), ("1", "b"), ("", "a"),
                                                            ("", "d")]
    before = leaderboard.read(tmp_path / "02_architectures.leaderboard.csv")
    leaderboard.record(tmp_path, R("d", accuracy=0.92, params=5, macs=5, band=">= 91%",
                                   points=3, within_budget=True))
    after = leaderboard.read(tmp_path / "02_architectures.leaderboard.csv")
    assert after["d"]["rank"] == "1" and after["c"]["rank"] == after["b"]["rank"] == "2"
    assert {k: {c: v for c, v in r.items() if c != "rank"} for k, r in after.items()
            if k != "d"} == {k: {c: v for c, v in r.items() if c != "rank"} for k, r in
                             before.items() if k != "d"}
    md = (tmp_path / "02_architectures.leaderboard.md").read_text()
    assert "| 1 | d | 92.00% | 5 | 5 | >= 91% | 3 |" in md


# --------------------------------------------------------------------------- the real grader
@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """Three students of assignment 2 (notebooks untouched) graded by the course's grader."""
    from course_admin.grade import grade_class
    root = tmp_path_factory.mktemp("open")
    mp = pytest.MonkeyPatch()
    mp.setenv(oe.TEST_IMAGES_ENV, str(_images(root, wrong=100)))     # 90.0% for "within"
    student = nbformat.read(STUDENT_A2, as_version=4)
    sub = root / "submitted"
    for name in ("within", "over", "tampered", "forger"):
        (sub / name).mkdir(parents=True)
        nbformat.write(student, sub / name / "homework 2.ipynb")
    _save(sub / "within", LINEAR, _linear_state())
    over = [["flatten"], ["linear", 784, 80], ["relu"], ["linear", 80, 10]]    # 63,610
    _save(sub / "over", over, oe.build(over).state_dict())
    torch.save(torch.nn.Linear(784, 10).state_dict(), sub / "tampered" / oe.WEIGHTS_FILE)
    # The forger hands in a network that predicts class 0 only, and a notebook whose kernel
    # writes the perfect network over its copy of the file and claims 100%.
    _save(sub / "forger", LINEAR, {"1.weight": torch.zeros(10, 784),
                                   "1.bias": torch.eye(10)[0]})
    forged = nbformat.read(STUDENT_A2, as_version=4)
    perfect = json.dumps(json.dumps({k: v.tolist() for k, v in _linear_state().items()}))
    forged.cells.insert(2, nbformat.v4.new_code_cell(
        "import torch, json\n"
        f"state = {{k: torch.tensor(v) for k, v in json.loads({perfect}).items()}}\n"
        f"torch.save({{'format': {oe.FORMAT!r}, 'spec': {LINEAR!r}, 'state_dict': state}}, "
        f"{oe.WEIGHTS_FILE!r})\n"
        "print('test accuracy 100%')\n", id="forge"))
    nbformat.write(forged, sub / "forger" / "homework 2.ipynb")
    try:
        grade_class(sub, root / "marks", workers=2, timeout=120)
    finally:
        mp.undo()
    with open(root / "marks" / "02_architectures.csv", newline="") as f:
        marks = {r["student_id"]: r for r in csv.DictReader(f)}
    return root, marks


def test_the_grader_gives_the_band_and_0_over_budget_and_lists_both(graded_class):
    root, marks = graded_class
    assert float(marks["within"]["test_open"]) == 2            # 90.0%: band >= 89.5%
    assert float(marks["over"]["test_open"]) == 0
    assert float(marks["tampered"]["test_open"]) == 0
    assert float(marks["within"]["max_total"]) == 18
    board = leaderboard.read(root / "marks" / "02_architectures.leaderboard.csv")
    assert set(board) == {"within", "over", "tampered", "forger"}
    assert (board["within"]["rank"], board["within"]["accuracy"], board["within"]["band"]) == \
        ("1", "0.9000", ">= 89.5%")
    assert (board["over"]["within_budget"], board["over"]["params"]) == ("no", "63610")
    assert "over the budget" in board["over"]["note"]
    assert board["tampered"]["within_budget"] == "refused"
    assert "not the assignment's format" in board["tampered"]["note"]
    md = (root / "marks" / "02_architectures.leaderboard.md").read_text()
    assert "| 1 | within | 90.00% | 7,850 | 7,840 | >= 89.5% | 2 |" in md
    assert "| | over |" in md.replace("|  |", "| |")


def test_a_forged_file_in_the_sandbox_or_a_claim_cannot_beat_the_labels(graded_class):
    root, marks = graded_class
    board = leaderboard.read(root / "marks" / "02_architectures.leaderboard.csv")
    # The handed-in network says class 0 for everything: a tenth of the labels.
    assert float(board["forger"]["accuracy"]) == pytest.approx(0.1)
    assert float(marks["forger"]["test_open"]) == 0
    assert (root / "submitted" / "forger" / oe.WEIGHTS_FILE).stat().st_size < 40_000
    loaded = torch.load(root / "submitted" / "forger" / oe.WEIGHTS_FILE, weights_only=True)
    assert not loaded["state_dict"]["1.weight"].any()          # the original, untouched


def test_regrading_one_student_changes_only_that_row_of_the_leaderboard(graded_class):
    from course_admin.grade import Result
    root, _ = graded_class
    path = root / "marks" / "02_architectures.leaderboard.csv"
    before = leaderboard.read(path)
    result = Result("over", "02_architectures", {}, 18)
    result.leaderboard = {"accuracy": 0.5, "params": 100, "macs": 100, "band": "< 88%",
                          "points": 0, "within_budget": True}
    leaderboard.record(root / "marks", result)
    after = leaderboard.read(path)
    assert after["over"]["accuracy"] == "0.5000" and after["over"]["rank"] == "2"
    for s in ("within", "tampered", "forger"):
        assert {k: v for k, v in after[s].items() if k != "rank"} == \
            {k: v for k, v in before[s].items() if k != "rank"}


def test_without_the_sandbox_too_the_file_graded_is_the_one_handed_in(graded_class,
                                                                       monkeypatch):
    """--trusted: the forger's kernel writes a perfect open_net.pt into its working folder.

    That folder is a scratch copy (in both modes the kernel never writes where the grader
    reads); the grader scores the file in the submission's folder, read before any cell runs.
    """
    from course_admin.grade import grade_notebook, load_assignments
    root, _ = graded_class
    monkeypatch.setenv(oe.TEST_IMAGES_ENV, str(root / "own_test.npz"))
    assignment = load_assignments()["02_architectures"]
    result = grade_notebook(root / "submitted" / "forger" / "homework 2.ipynb", assignment,
                            timeout=120, trusted=True, keep_feedback=False)
    assert result.leaderboard["accuracy"] == pytest.approx(0.1)
    assert result.points["test_open"] == 0
