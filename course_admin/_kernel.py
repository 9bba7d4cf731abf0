"""The kernel a submission runs in: IPython's kernel behind a file-access guard.

The grader starts this file instead of ``python -m ipykernel_launcher``::

    python _kernel.py --scratch DIR [--deny PATH ...] -f CONNECTION_FILE

Once the kernel has read its connection file, and before any student code runs, it
installs an audit hook (PEP 578; it cannot be removed again) that refuses

* writing, creating, renaming, deleting or changing the mode of any file outside
  ``--scratch`` (the submission's scratch copy), so graded code cannot rewrite the
  instructor sources, another submission or the marks;
* reading or listing anything under a ``--deny`` path (the instructor sources with
  their hidden tests, the other submissions, the grader's output) and the
  environment or memory of other processes (``/proc/<pid>/...``);
* starting programs (``subprocess``, ``os.system``, ``exec``, ``fork``), which would
  run without the hook, and loading the C library functions that write or execute
  through ``ctypes``.

The environment the grader gives the kernel is already clean (no secrets).  The hook
stops Python code only; native code can get around it.  The grader therefore runs this
file inside a bubblewrap sandbox (``sandbox.py``: ``--submission`` and ``--path`` then
say where the submission and cnnlib are mounted, the kernel starts in an empty folder
and the submission's files are copied to ``--scratch`` only once ipykernel has
started), and judges the graded cells outside it; the hook is a second line there,
and the only one with ``--trusted``.
"""
import os
import resource
import sys

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_PATH_EVENTS = {                      # event -> indices of the arguments that are paths
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.chmod": (0,),
    "os.chown": (0,), "os.rename": (0, 1), "os.link": (0, 1), "os.symlink": (1,),
    "os.truncate": (0,), "os.utime": (0,), "shutil.rmtree": (0,), "shutil.copyfile": (1,),
    "shutil.copytree": (1,), "shutil.move": (0, 1), "os.setxattr": (0,),
    "os.removexattr": (0,),
}
_LIST_EVENTS = {"os.listdir", "os.scandir"}
_PROGRAM_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                   "os.fork", "os.forkpty", "pty.spawn", "os.startfile"}
_NATIVE_NAMES = {"open", "open64", "openat", "openat64", "creat", "creat64", "fopen",
                 "fopen64", "write", "pwrite", "unlink", "unlinkat", "rename", "renameat",
                 "system", "execv", "execve", "execvp", "fork", "vfork", "posix_spawn",
                 "chmod", "ptrace", "process_vm_writev", "dlopen"}


def _inside(path, root):
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def make_guard(scratch, deny, writable=None):
    """The audit hook: ``scratch`` (and ``writable``) may be written, ``deny`` not even read."""
    scratch = os.path.realpath(scratch)
    deny = [os.path.realpath(d) for d in deny]
    # The Python installation the kernel runs on stays readable even where it lies inside
    # a denied folder (a virtual environment under the temporary folder): its lazy
    # imports must work, and it holds no instructor file.
    installation = sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix,
                                                          sys.exec_prefix)})
    own = str(os.getpid())
    writable = [os.path.realpath(w) for w in (writable or [scratch])] + ["/dev/null"]

    def real(path):
        if isinstance(path, int):
            return None
        return os.path.realpath(os.fsdecode(path))

    def refuse(what, path):
        raise PermissionError(f"grading sandbox: {what} {path!r} is not allowed "
                              f"(only the submission's own folder is writable)")

    def check_read(path, what):
        if path is None or _inside(path, scratch):      # its own copy, wherever it lies
            return
        if any(_inside(path, p) for p in installation):
            return
        if any(_inside(path, d) for d in deny):
            refuse(what, path)
        parts = path.split(os.sep)
        if len(parts) > 2 and parts[1] == "proc" and parts[2].isdigit() and parts[2] != own:
            refuse(what, path)

    def check_write(path, what):
        if path is not None and not any(_inside(path, w) for w in writable):
            refuse(what, path)

    def hook(event, args):
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            target = real(path)
            writing = ((isinstance(flags, int) and flags & _WRITE_FLAGS)
                       or (isinstance(mode, str) and any(c in mode for c in "wax+")))
            if writing:
                check_write(target, "writing")
            check_read(target, "reading")
        elif event in _PATH_EVENTS:
            for i in _PATH_EVENTS[event]:
                if i < len(args) and isinstance(args[i], (str, bytes, os.PathLike)):
                    check_write(real(args[i]), event)
        elif event in _LIST_EVENTS:
            if args and isinstance(args[0], (str, bytes, os.PathLike)):
                check_read(real(args[0]), "listing")
        elif event in _PROGRAM_EVENTS:
            raise PermissionError(f"grading sandbox: starting programs ({event}) is not allowed")
        elif event == "ctypes.dlsym" and len(args) > 1 and str(args[1]) in _NATIVE_NAMES:
            raise PermissionError(f"grading sandbox: ctypes access to {args[1]} is not allowed")

    return hook


def main(argv):
    scratch, submission, paths, deny, rest, i = None, None, [], [], [], 0
    while i < len(argv):
        if argv[i] in ("--scratch", "--submission", "--path", "--deny"):
            value = argv[i + 1]
            if argv[i] == "--scratch":
                scratch = value
            elif argv[i] == "--submission":
                submission = value
            elif argv[i] == "--path":
                paths.append(value)
            else:
                deny.append(value)
            i += 2
        else:
            rest.append(argv[i])
            i += 1
    if scratch is None:
        raise SystemExit("usage: _kernel.py --scratch DIR [--submission DIR] [--path DIR] "
                         "[--deny PATH ...] -f CONNECTION_FILE")
    # cnnlib as the grader mounted it, not through an editable install's finder (the
    # repository it points to is not in the sandbox).
    sys.meta_path[:] = [f for f in sys.meta_path
                        if not type(f).__module__.startswith("__editable__")]
    sys.path[:0] = paths
    if submission is None:            # the old layout: the scratch folder is the start folder
        sys.path[0:0] = [scratch]
        os.chdir(scratch)
    # Otherwise the kernel starts in an empty folder (the sandbox's home): nothing handed
    # in (a comm.py, an IPython startup file) can be imported while ipykernel starts.
    size = 512 * 2 ** 20                 # no file larger than 512 MB (a full disk harms all)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if hard == resource.RLIM_INFINITY or hard > size:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    from ipykernel.kernelapp import IPKernelApp
    app = IPKernelApp.instance()
    app.initialize([sys.argv[0]] + rest)          # reads the connection file
    sys.argv = [sys.argv[0]]
    if submission is not None:
        import shutil
        shutil.copytree(submission, scratch, dirs_exist_ok=True)
        os.chdir(scratch)
        # The submission's own modules are found, after the standard library and the
        # installed packages: a numpy.py or comm.py handed in shadows nothing.
        while "" in sys.path:
            sys.path.remove("")
        sys.path.append(scratch)
    writable = [scratch] if submission is None else [scratch, "/tmp", "/dev/shm",
                                                      os.path.expanduser("~")]
    sys.addaudithook(make_guard(scratch, deny, writable))
    app.start()


if __name__ == "__main__":
    main(sys.argv[1:])
