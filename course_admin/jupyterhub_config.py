"""JupyterHub for a class: the course environment as every student's server.

Run from the repository's folder, in the course environment with the lecturer's
packages (requirements-lecturer.txt) and ``configurable-http-proxy`` on PATH::

    jupyterhub -f course_admin/jupyterhub_config.py

Settings come from environment variables, so the same file serves a trial on a
laptop, CI and a course server:

``COURSE_HUB_ROOT``
    Folder for the hub's state (database, cookie secret), the students' homes
    (``home/<user>``) and nbgrader's exchange (``exchange``). Default ``./hub``.
``COURSE_HUB_URL``
    Where the hub listens, default ``http://127.0.0.1:8000``.
``COURSE_HUB_ADMIN_TOKEN``
    If set, a service ``course-admin`` with this API token may manage users and
    servers (what the test and a lecturer's scripts use).
``COURSE_HUB_AUTHENTICATOR``
    ``dummy`` (default: any user name, the shared password ``COURSE_HUB_PASSWORD``;
    for trials only) or the import path of a real authenticator (e.g.
    ``oauthenticator.GitHubOAuthenticator``, configured in the server's own
    ``jupyterhub_config.d``).

Each student's server is ``jupyterhub-singleuser`` started by the hub's own Python
(the course environment), as the hub's user, in its own home folder: the
*local-process* spawner for one machine. The first start copies the course's
notebooks and assets into the home folder (later starts keep the student's work) and
writes an nbgrader configuration pointing at the shared exchange, so ``nbgrader
release_assignment`` / ``collect`` on the lecturer's side and the Assignments tab
on the students' side meet there. On Kubernetes the same course runs with Zero to
JupyterHub (see the README's section for lecturers).
"""
import os
import pathlib
import shutil
import sys

c = get_config()  # noqa: F821  (JupyterHub provides get_config)

REPO = pathlib.Path(__file__).resolve().parent.parent
ROOT = pathlib.Path(os.environ.get("COURSE_HUB_ROOT", "hub")).resolve()
EXCHANGE = ROOT / "exchange"
COURSE_ID = "cnn-course"
for folder in (ROOT, ROOT / "home", EXCHANGE):
    folder.mkdir(parents=True, exist_ok=True)
EXCHANGE.chmod(0o777)                     # nbgrader's exchange is shared by everyone

c.JupyterHub.bind_url = os.environ.get("COURSE_HUB_URL", "http://127.0.0.1:8000")
c.JupyterHub.db_url = f"sqlite:///{ROOT / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(ROOT / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(ROOT / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(ROOT / "jupyterhub-proxy.pid")
c.JupyterHub.cleanup_servers = True       # stopping the hub stops the students' servers
# Answer a start request at once (202) and let the client poll: with a class logging in
# at the start of a lesson, requests must not wait for the servers.
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}

authenticator = os.environ.get("COURSE_HUB_AUTHENTICATOR", "dummy")
c.JupyterHub.authenticator_class = authenticator
if authenticator == "dummy":
    c.DummyAuthenticator.password = os.environ.get("COURSE_HUB_PASSWORD", "course")
c.Authenticator.allow_all = True

token = os.environ.get("COURSE_HUB_ADMIN_TOKEN")
if token:
    c.JupyterHub.services = [{"name": "course-admin", "api_token": token}]
    c.JupyterHub.load_roles = [{
        "name": "course-admin",
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "list:users"],
        "services": ["course-admin"],
    }]

# The course environment as each user's server.
c.JupyterHub.spawner_class = "simple"     # local processes, as the hub's user
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
if os.geteuid() == 0:                     # a container's root (CI): Jupyter refuses without
    c.Spawner.args = ["--allow-root"]
c.SimpleLocalProcessSpawner.home_dir_template = str(ROOT / "home" / "{username}")
c.Spawner.default_url = "/lab/tree/notebooks/00_welcome.ipynb"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    # Two CPU threads per student: a class shares the machine's cores.
    "OMP_NUM_THREADS": "2",
    "MKL_NUM_THREADS": "2",
}
# Passed on from the hub's environment when set: where the data and Jupyter's data files
# (JupyterLab, nbconvert's templates) are when the course environment is layered.
c.Spawner.env_keep = ["PATH", "PYTHONPATH", "LANG", "LC_ALL", "VIRTUAL_ENV", "JUPYTER_PATH",
                      "CNNLIB_DATA"]

NBGRADER_CONFIG = f"""c = get_config()
c.CourseDirectory.course_id = {COURSE_ID!r}
c.Exchange.root = {str(EXCHANGE)!r}
"""


def give_the_course(spawner):
    """Before a server starts: the course in the student's home, nbgrader's exchange."""
    home = pathlib.Path(spawner.home_dir_template.format(username=spawner.user.name))
    home.mkdir(parents=True, exist_ok=True)
    for part in ("notebooks", "assets"):
        if not (home / part).exists():
            shutil.copytree(REPO / part, home / part,
                            ignore=shutil.ignore_patterns("source", ".ipynb_checkpoints"))
    config = home / ".jupyter" / "nbgrader_config.py"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(NBGRADER_CONFIG)
    spawner.environment["JUPYTER_CONFIG_DIR"] = str(config.parent)


c.Spawner.pre_spawn_hook = give_the_course
