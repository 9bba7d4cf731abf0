"""JupyterHub for a class, for real: the hub of course_admin/jupyterhub_config.py on localhost.

JupyterHub (from PyPI) with its proxy ``configurable-http-proxy`` (from npm), the
dummy authenticator and the local-process spawner: three students log in, their
servers start through the REST API, each sees the course and runs the code cells of
``00_welcome`` through the kernel API, then the hub stops and leaves no process.

Needs the lecturer's packages and the proxy (``.ci/lecturer`` installs both);
skipped without them.
"""
import asyncio
import importlib.util
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import nbformat
import psutil
import pytest

pytestmark = [
    pytest.mark.lecturer,
    pytest.mark.skipif(importlib.util.find_spec("jupyterhub") is None,
                       reason="jupyterhub is not installed: pip install -r "
                              "requirements-lecturer.txt (or run .ci/lecturer)"),
    pytest.mark.skipif(shutil.which("configurable-http-proxy") is None,
                       reason="configurable-http-proxy is not on PATH: npm install "
                              "configurable-http-proxy@4.6.3 (or run .ci/lecturer)"),
]

REPO = pathlib.Path(__file__).resolve().parent.parent
STUDENTS = ("ann", "bob", "cat")
PASSWORD = "course"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A running hub: (base URL, admin token); stopped and checked for leftovers after."""
    requests = pytest.importorskip("requests")
    root = tmp_path_factory.mktemp("hub")
    url, token = f"http://127.0.0.1:{_free_port()}", secrets.token_hex(16)
    env = dict(os.environ, COURSE_HUB_ROOT=str(root), COURSE_HUB_URL=url,
               COURSE_HUB_ADMIN_TOKEN=token, COURSE_HUB_PASSWORD=PASSWORD)
    log = open(root / "hub.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub",
         "-f", str(REPO / "course_admin" / "jupyterhub_config.py"),
         f"--JupyterHub.hub_port={_free_port()}",
         f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{_free_port()}"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/hub/api", timeout=2).ok:
                break
        except requests.ConnectionError:
            pass
        assert process.poll() is None, (root / "hub.log").read_text()[-3000:]
        time.sleep(0.5)
    else:
        pytest.fail("the hub did not start: " + (root / "hub.log").read_text()[-3000:])
    tree = [process.pid]
    try:
        yield url, token, tree
    finally:
        everyone = [psutil.Process(process.pid)] + psutil.Process(process.pid).children(
            recursive=True) if process.poll() is None else []
        process.send_signal(signal.SIGTERM)          # the hub stops the servers and the proxy
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        gone, alive = psutil.wait_procs(everyone + [p for p in map(_process, tree) if p],
                                        timeout=30)
        assert not alive, f"left behind: {alive}"


def _process(pid):
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


async def _run_cells(url, user, token, sources, timeout=300):
    """Execute ``sources`` in a new kernel of ``user``'s server; return the replies' status."""
    import requests
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect
    headers = {"Authorization": f"token {token}"}
    kernel = requests.post(f"{url}/user/{user}/api/kernels", headers=headers,
                           json={"name": "python3"}, timeout=60).json()
    ws_url = url.replace("http", "ws", 1) + f"/user/{user}/api/kernels/{kernel['id']}/channels"
    conn = await websocket_connect(HTTPRequest(ws_url, headers=headers))
    statuses = []
    try:
        for code in sources:
            msg_id = uuid.uuid4().hex
            await conn.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                           "session": uuid.uuid4().hex, "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"code": code, "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False,
                            "stop_on_error": True}}))
            while True:
                msg = json.loads(await asyncio.wait_for(conn.read_message(), timeout))
                if (msg.get("channel") == "shell" and msg["msg_type"] == "execute_reply"
                        and msg["parent_header"].get("msg_id") == msg_id):
                    statuses.append(msg["content"]["status"])
                    break
    finally:
        conn.close()
        requests.delete(f"{url}/user/{user}/api/kernels/{kernel['id']}", headers=headers,
                        timeout=60)
    return statuses


def test_three_students_log_in_start_their_servers_and_run_the_welcome(hub):
    import requests
    url, admin, tree = hub
    api = {"Authorization": f"token {admin}"}
    welcome = nbformat.read(REPO / "notebooks" / "00_welcome.ipynb", as_version=4)
    code = [c.source for c in welcome.cells if c.cell_type == "code"]
    tokens = {}
    for user in STUDENTS:
        # Log in as a student would, through the login form (dummy authenticator).
        session = requests.Session()
        session.get(f"{url}/hub/login", timeout=30)
        reply = session.post(f"{url}/hub/login", timeout=60, allow_redirects=False,
                             data={"username": user, "password": PASSWORD,
                                   "_xsrf": session.cookies.get("_xsrf", "")})
        assert reply.status_code == 302, reply.text[:500]
        assert requests.get(f"{url}/hub/api/users/{user}", headers=api, timeout=30).ok
        # Start the server and get a token, through the REST API.
        started = requests.post(f"{url}/hub/api/users/{user}/server", headers=api, timeout=60)
        assert started.status_code in (201, 202), started.text
        tokens[user] = requests.post(f"{url}/hub/api/users/{user}/tokens", headers=api,
                                     json={"expires_in": 3600}, timeout=30).json()["token"]
    for user in STUDENTS:
        deadline = time.monotonic() + 180
        while not requests.get(f"{url}/hub/api/users/{user}", headers=api,
                               timeout=30).json()["servers"].get("", {}).get("ready"):
            assert time.monotonic() < deadline, f"{user}'s server did not start"
            time.sleep(1)
    servers = [p for p in psutil.process_iter(["cmdline"])
               if "jupyterhub.singleuser" in " ".join(p.info["cmdline"] or [])]
    assert len(servers) >= len(STUDENTS)
    tree.extend(p.pid for p in servers)
    for user in STUDENTS:
        headers = {"Authorization": f"token {tokens[user]}"}
        listing = requests.get(f"{url}/user/{user}/api/contents/notebooks", headers=headers,
                               timeout=60).json()
        names = {item["name"] for item in listing["content"]}
        assert {"00_welcome.ipynb", "assignments"} <= names
        assignments = requests.get(f"{url}/user/{user}/api/contents/notebooks/assignments",
                                   headers=headers, timeout=60).json()
        assert "source" not in {item["name"] for item in assignments["content"]}
        assert asyncio.run(_run_cells(url, user, tokens[user], code)) == ["ok"] * len(code)
