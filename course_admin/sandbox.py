"""The operating-system sandbox a submission's kernel runs in (bubblewrap, Linux).

Each submission gets its own ``bwrap`` process tree:

* its own user, PID, IPC, UTS, cgroup and network namespaces (no network at all, not
  even the machine's loopback), a new session (no terminal to write into);
* a file system of its own, built from nothing: the Python installation(s) and
  ``cnnlib`` read-only, a private ``/tmp``, ``/dev/shm``, home folder and scratch
  folder (size-capped ``tmpfs``, gone when the sandbox ends), and the submission's
  files read-only in ``/submission``.  Nothing of the course repository, its ``.git``,
  the instructor sources, the marks or the other submissions is mounted;
* resource limits: a control group (``pids.max``, ``memory.limit_in_bytes``) where the
  machine lets the grader make one, and always ``RLIMIT_AS`` (memory),
  ``RLIMIT_NPROC`` (processes, when not running as root), ``RLIMIT_CPU``,
  ``RLIMIT_FSIZE`` and ``RLIMIT_CORE``;
* the kernel's sockets are Unix sockets in a small ``tmpfs`` inside the sandbox that
  the grader reaches through ``/proc/<pid>/root``; the connection file is mounted
  read-only;
* at the timeout and at the end the whole sandbox is killed: the PID namespace's
  first process (every process of the submission dies with it), ``--die-with-parent``
  if the grader itself dies, and every process left in the control group.
"""
from __future__ import annotations

import json
import os
import pathlib
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
import uuid

__all__ = ["bwrap_path", "bwrap_works", "Sandbox", "NO_BWRAP_MESSAGE"]

NO_BWRAP_MESSAGE = (
    "bubblewrap (bwrap) is not available or cannot create namespaces here, so student "
    "code cannot be isolated from the grader, the marks and the other submissions. "
    "Grade on a Linux machine with bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), "
    "or in the course's container (see notebooks/assignments/README.md). For your own "
    "test notebooks only, pass --trusted to grade without the sandbox.")
KERNEL = pathlib.Path(__file__).resolve().with_name("_kernel.py")
CGROUP_ROOT = pathlib.Path("/sys/fs/cgroup")
MB = 2 ** 20
VIRTUAL_OVERHEAD_MB = 4096


def bwrap_path():
    """The ``bwrap`` executable, or None."""
    return shutil.which("bwrap")


_WORKS = {}


def bwrap_works():
    """True if ``bwrap`` can make the namespaces the grader needs on this machine."""
    exe = bwrap_path()
    if exe is None:
        return False
    if exe not in _WORKS:
        try:
            _WORKS[exe] = subprocess.run(
                [exe, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
                capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _WORKS[exe] = False
    return _WORKS[exe]


def _python_dirs():
    """The folders of the Python installation the kernel needs (read-only)."""
    dirs = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    for entry in sys.path:
        if entry and ("site-packages" in entry or "dist-packages" in entry) and os.path.isdir(
                entry):
            dirs.add(os.path.realpath(entry))
    # the interpreter the venv points to may be a symbolic link elsewhere
    dirs.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    keep = []
    for d in sorted(dirs):                    # drop folders inside another one
        if not any(d != k and d.startswith(k.rstrip("/") + "/") for k in keep):
            keep.append(d)
    return keep


def _cnnlib_dir():
    import cnnlib
    return str(pathlib.Path(cnnlib.__file__).resolve().parent)


class _Cgroup:
    """A v1 or v2 control group for one sandbox (None where the grader may not make one)."""

    def __init__(self, name, pids, memory):
        self.dirs = []
        unified = CGROUP_ROOT / "cgroup.controllers"
        try:
            if unified.exists():
                d = CGROUP_ROOT / "course-grader" / name
                d.mkdir(parents=True)
                self.dirs.append(d)
                (d / "pids.max").write_text(str(pids))
                (d / "memory.max").write_text(str(memory))
            else:
                for ctl, settings in (("pids", {"pids.max": pids}),
                                      ("memory", {"memory.limit_in_bytes": memory})):
                    d = CGROUP_ROOT / ctl / "course-grader" / name
                    d.mkdir(parents=True)
                    self.dirs.append(d)
                    for key, value in settings.items():
                        (d / key).write_text(str(value))
        except OSError:
            self.remove()
            self.dirs = []

    @property
    def limits_processes(self):
        return any((d / "pids.max").exists() for d in self.dirs)

    def join(self):                           # in the child, before exec
        for d in self.dirs:
            with open(d / "cgroup.procs", "w") as f:
                f.write(str(os.getpid()))

    def pids(self):
        found = set()
        for d in self.dirs:
            try:
                found |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def kill(self):
        for _ in range(20):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)

    def remove(self):
        for d in self.dirs:
            for _ in range(100):             # killed processes take a moment to go
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


class Sandbox:
    """One submission's sandboxed IPython kernel.

    Parameters
    ----------
    submission : path
        Folder with the submission's files (mounted read-only at ``/submission``).
    env : dict
        The kernel's environment (nothing of the grader's).
    memory_mb, processes, cpu_seconds, file_mb, scratch_mb : int
        Limits: address space (and control-group memory), processes, CPU seconds of
        each process, largest file, size of ``/scratch`` (and of ``/tmp``).
    """

    def __init__(self, submission, env, memory_mb=2048, processes=64, cpu_seconds=900,
                 file_mb=256, scratch_mb=512):
        self.submission = str(submission)
        self.env = dict(env)
        self.limits = dict(memory_mb=memory_mb, processes=processes, cpu_seconds=cpu_seconds,
                           file_mb=file_mb, scratch_mb=scratch_mb)
        self.process = None
        self.child_pid = None
        self.private = None
        self.cgroup = None

    # ---------------------------------------------------------------- start
    def argv(self, connection_file, info_fd=3, command=None):
        """The ``bwrap`` command line: the kernel inside it, or ``command`` (a list)."""
        lim = self.limits
        argv = [bwrap_path(), "--unshare-all", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", "--hostname", "sandbox",
                "--proc", "/proc", "--dev", "/dev"]
        for name in ("usr", "etc/alternatives"):
            if os.path.isdir("/" + name):
                argv += ["--ro-bind", "/" + name, "/" + name]
        for name in ("bin", "sbin", "lib", "lib64", "lib32"):
            path = "/" + name
            if os.path.islink(path):
                argv += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                argv += ["--ro-bind", path, path]
        for name in ("etc/fonts", "etc/localtime", "etc/ld.so.cache", "etc/ld.so.conf",
                     "etc/ld.so.conf.d", "etc/mime.types"):
            if os.path.exists("/" + name):
                argv += ["--ro-bind", "/" + name, "/" + name]
        for d in _python_dirs():
            argv += ["--ro-bind", d, d]
        argv += ["--ro-bind", _cnnlib_dir(), "/opt/course/cnnlib",
                 "--ro-bind", str(KERNEL), "/opt/grader/_kernel.py",
                 "--ro-bind", self.submission, "/submission",
                 "--ro-bind", connection_file, "/run/kernel/connection.json"]
        size = str(lim["scratch_mb"] * MB)
        for mount, mb in (("/tmp", size), ("/dev/shm", str(64 * MB)),
                          ("/scratch", size), ("/home/student", str(64 * MB)),
                          ("/run/sock", str(MB))):
            argv += ["--size", mb, "--tmpfs", mount]
        for font in self._fontlists():
            argv += ["--ro-bind", str(font), f"/home/student/.config/matplotlib/{font.name}"]
        argv += ["--chdir", "/home/student", "--clearenv"]
        for key, value in self.env.items():
            argv += ["--setenv", key, value]
        argv += ["--info-fd", str(info_fd), "--"]
        return argv + (command or [
            sys.executable, "-I", "-B", "/opt/grader/_kernel.py", "--path", "/opt/course",
            "--scratch", "/scratch", "--submission", "/submission", "-f",
            "/run/kernel/connection.json"])

    @staticmethod
    def _fontlists():
        """The grader's matplotlib font list (building it again costs seconds)."""
        found = []
        for folder in (os.environ.get("MPLCONFIGDIR"), os.path.expanduser("~/.cache/matplotlib"),
                       os.path.expanduser("~/.config/matplotlib")):
            if folder and os.path.isdir(folder):
                found += sorted(pathlib.Path(folder).glob("fontlist*.json"))
        return found[:1]

    def _limit(self):
        """In the child, before ``exec``: resource limits, control group."""
        lim = self.limits
        if self.cgroup is not None:
            self.cgroup.join()
        # Address space, not memory: importing torch alone reserves about 3.4 GB of it.
        memory = (lim["memory_mb"] + VIRTUAL_OVERHEAD_MB) * MB
        for which, value in ((resource.RLIMIT_AS, memory),
                             (resource.RLIMIT_CPU, lim["cpu_seconds"]),
                             (resource.RLIMIT_FSIZE, lim["file_mb"] * MB),
                             (resource.RLIMIT_CORE, 0),
                             (resource.RLIMIT_NOFILE, 1024)):
            resource.setrlimit(which, (value, value))
        if os.getuid() != 0:
            # As root the count would include every root process of the machine: the
            # control group's pids.max bounds the sandbox instead.
            n = lim["processes"] + len(os.listdir("/proc"))
            resource.setrlimit(resource.RLIMIT_NPROC, (n, n))

    def start(self, command=None):
        """Start the kernel (or ``command``); return the connection info the grader uses."""
        from jupyter_client.connect import write_connection_file
        self.private = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / (
            "grader-" + uuid.uuid4().hex)
        self.private.mkdir(mode=0o700)
        connection = str(self.private / "connection.json")
        write_connection_file(connection, ip="/run/sock/kernel", transport="ipc")
        os.chmod(connection, 0o600)
        self.info = json.loads(pathlib.Path(connection).read_text())
        lim = self.limits
        self.cgroup = _Cgroup(uuid.uuid4().hex, lim["processes"], lim["memory_mb"] * MB)
        if not self.cgroup.dirs:
            self.cgroup = None
        read, write = os.pipe()
        os.set_inheritable(write, True)
        try:
            self.process = subprocess.Popen(
                self.argv(connection, write, command), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if command else subprocess.DEVNULL,
                stderr=open(self.private / "stderr", "wb"), pass_fds=(write,),
                preexec_fn=self._limit, start_new_session=True, env={})
        finally:
            os.close(write)
        data, deadline = b"", time.monotonic() + 60
        try:
            while time.monotonic() < deadline:       # bwrap writes {"child-pid": N}
                ready, _, _ = select.select([read], [], [], 1)
                if ready:
                    chunk = os.read(read, 4096)
                    data += chunk
                    if not chunk or b"}" in data:
                        break
                elif self.process.poll() is not None:
                    break
        finally:
            os.close(read)
        try:
            self.child_pid = int(json.loads(data.decode() or "{}")["child-pid"])
        except (ValueError, KeyError):
            self.stop()
            raise RuntimeError("the sandbox did not start: " + self.stderr())
        info = dict(self.info)
        info["ip"] = f"/proc/{self.child_pid}/root/run/sock/kernel"
        return info

    def stderr(self):
        try:
            return (self.private / "stderr").read_text(errors="replace")[-2000:]
        except (OSError, TypeError):
            return ""

    def is_alive(self):
        return self.process is not None and self.process.poll() is None

    # ---------------------------------------------------------------- stop
    def stop(self):
        """Kill everything of the sandbox and remove its files."""
        if self.process is not None:
            for pid in filter(None, (self.child_pid, self.process.pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self.cgroup is not None:
            self.cgroup.kill()
            self.cgroup.remove()
            self.cgroup = None
        if self.private is not None:
            shutil.rmtree(self.private, ignore_errors=True)
