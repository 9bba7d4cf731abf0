"""The course's main job starts: the README's command serves the course on localhost."""
import json
import os
import pathlib
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.slow   # integration: runs kernels, venvs or servers

REPO = pathlib.Path(__file__).resolve().parent.parent


def readme_lab_arguments():
    """The arguments after `jupyter lab` in the README's open command."""
    text = (REPO / "README.md").read_text()
    block = re.search(r"<!-- open-command -->\s*```bash\n(.*?)\n```", text, re.S)
    assert block, "README.md has no open command after <!-- open-command -->"
    command = block.group(1).split("&&")[-1]
    words = shlex.split(command)
    assert words[:2] == ["jupyter", "lab"], command
    return words[2:]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url, token, method="GET"):
    request = urllib.request.Request(url, method=method,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture
def jupyterlab(tmp_path):
    """Start `jupyter lab` headless on a free port; yield its base URL and token."""
    port, token = free_port(), "course-test-token"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    args = [sys.executable, "-m", "jupyter", "lab", *readme_lab_arguments(), "--no-browser",
            "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:  # CI containers run as root; Jupyter refuses that by default
        args.append("--allow-root")
    proc = subprocess.Popen(
        args, cwd=REPO,   # the README's commands run from the top of the clone
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            get_json(f"{base}/api/status", token)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited: {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("jupyter lab did not answer within 60 s")
            time.sleep(0.5)
    yield proc, base, token
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_jupyterlab_serves_the_course(jupyterlab):
    proc, base, token = jupyterlab
    status = get_json(f"{base}/api/status", token)
    assert "started" in status
    # The file browser starts at the top of the repository: the library and the README are
    # in it, as the welcome notebook asks the student to open cnnlib/conv.py.
    top = {item["name"] for item in get_json(f"{base}/api/contents/", token)["content"]}
    assert {"cnnlib", "notebooks", "README.md"} <= top
    assert get_json(f"{base}/api/contents/cnnlib/conv.py?content=0", token)["type"] == "file"
    listing = get_json(f"{base}/api/contents/notebooks", token)
    names = {item["name"] for item in listing["content"]}
    assert "00_welcome.ipynb" in names
    assert "assignments" in names
    # The lab UI itself is served, not only the REST API.
    with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as response:
        assert response.status == 200
    # A clean shutdown through the API, as the File > Shut Down menu does.
    get_json(f"{base}/api/shutdown", token, method="POST")
    assert proc.wait(timeout=30) == 0
