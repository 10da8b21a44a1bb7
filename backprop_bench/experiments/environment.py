"""What a result depends on besides the code's inputs: machine, libraries, commit, date.

``describe()`` returns a JSON-able dict: CPU model and core count, memory, the BLAS libraries
loaded and their thread counts (``threadpoolctl``), Python and library versions, the git commit
of the code and whether the code had uncommitted changes, and the date (UTC). Every results
folder records it, so a table can be read against the machine that made it.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

LIBRARIES = (
    "numpy",
    "scipy",
    "scikit-learn",
    "pandas",
    "matplotlib",
    "threadpoolctl",
    "torch",
    "jax",
    "jaxlib",
    "scikit-learn-intelex",
)
#: The environment variables that cap a library's threads before it loads: OpenMP, OpenBLAS and
#: MKL read theirs; XLA (JAX's CPU backend) reads flags, set by ``cap_threads``.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
XLA_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen={} intra_op_parallelism_threads={}"
ROOT = Path(__file__).resolve().parents[2]


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def cpu_model() -> str:
    """The CPU's marketing name (from /proc/cpuinfo on Linux), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cap_threads(threads: int) -> None:
    """Cap, through the environment, the threads of every library a fit may load LATER:
    BLAS/OpenMP (``threadpoolctl`` caps those already loaded) and XLA, which reads its flags
    once, when JAX first runs. XLA flags the user set are left alone."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    if "intra_op_parallelism_threads" not in os.environ.get("XLA_FLAGS", ""):
        flags = XLA_THREAD_FLAGS.format("false" if threads == 1 else "true", threads)
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flags}".strip()


def xla_threads() -> str:
    """What caps XLA's (JAX's) threads here: the flag, or its default (every core)."""
    for flag in os.environ.get("XLA_FLAGS", "").split():
        if flag.startswith("intra_op_parallelism_threads="):
            return f"XLA {flag.split('=', 1)[1]} thread(s)"
    return "XLA threads as it chooses (all cores)"


def host_line() -> str:
    """This machine's name and the cores this process may use, for a fit's record."""
    import socket

    return f"{socket.gethostname()} ({usable_cores()} cores)"


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def memory_gb() -> float | None:
    """Total physical memory in GB (Linux), else ``None``."""
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1)
    except (ValueError, OSError, AttributeError):
        return None


def blas() -> list[dict[str, Any]]:
    """The BLAS/OpenMP libraries loaded by numpy and scipy, with their thread counts and, for
    OpenBLAS, the kernel it chose for this CPU (``architecture``: Haswell, SkylakeX, Zen, ...),
    which decides both speed and the last bits of every product."""
    import numpy  # noqa: F401  (load the libraries threadpoolctl inspects)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    keys = (
        "user_api",
        "internal_api",
        "version",
        "architecture",
        "num_threads",
        "threading_layer",
        "filepath",
    )
    return [{key: info.get(key) for key in keys} for info in threadpool_info()]


def blas_line(libraries: list[dict[str, Any]], threads: bool = True) -> str:
    """``blas()`` in a few words: "BLAS openblas 0.3.30 (Zen kernel, 1 thread)"."""

    def describe(info: dict[str, Any]) -> str:
        kernel = f"{info.get('architecture') or 'unknown'} kernel"
        count = info.get("num_threads")
        if threads:
            kernel += f", {count} thread{'' if count == 1 else 's'}"
        return f"{info['internal_api']} {info['version']} ({kernel})"

    parts = sorted(
        {
            describe(info)
            for info in libraries
            if info.get("user_api") == "blas" and info.get("version")
        }
    )
    return "BLAS " + (", ".join(parts) or "unknown")


def versions() -> dict[str, str | None]:
    """Installed versions of Python and the libraries that compute results."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


#: What "the code" is, for the dirty flag: not the results and README block that runs write.
CODE_PATHS = (
    "nets",
    "baselines",
    "backprop_bench",
    "benchmarks",
    "pyproject.toml",
    "asv.conf.json",
)


def git_output(*args: str, root: Path = ROOT) -> str | None:
    """What ``git ARGS`` prints in ``root``, stripped; ``None`` where git fails or is missing."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def git(root: Path = ROOT) -> dict[str, Any]:
    """The commit of the code in ``root`` and whether the code (CODE_PATHS) had uncommitted
    changes; the results and README a run writes itself do not count."""
    commit = git_output("rev-parse", "HEAD", root=root)
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git_output(
        "status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS, root=root
    )
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def commit_named(name: str, root: Path = ROOT) -> str | None:
    """The full hash git gives for a name such as HEAD, a branch or a prefix, or ``None``."""
    return git_output("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", root=root) or None


def describe() -> dict[str, Any]:
    """The machine, software and code state, as a JSON-able dict."""
    return {
        "date": now(),
        "cpu": cpu_model(),
        "cores": usable_cores(),
        "memory_gb": memory_gb(),
        "platform": platform.platform(),
        "blas": blas(),
        "versions": versions(),
        "git": git(),
        "argv": sys.argv[1:],
    }
