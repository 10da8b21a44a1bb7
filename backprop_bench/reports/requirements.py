"""The exact environment of a result: a pip requirements file pinned to the versions that made
a results folder, read from its environment record (``environment.json``).

Every session (a run that fitted) records Python's version and the versions of the libraries
that compute results (``environment.LIBRARIES``). The file pins each library at the version of
the newest session that had it, says in a comment where the sessions disagree, and names the
commit of the code and the Python version (pip cannot pin those): check out that commit, make a
virtual environment with that Python, then ``pip install -e . -r requirements.txt``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from backprop_bench.errors import BenchError
from backprop_bench.experiments.records import FitRecord
from backprop_bench.files import atomic_write_text

REQUIREMENTS = "requirements.txt"

OPTIONAL = {"torch": "PyTorch", "jax": "JAX", "jaxlib": "JAX", "scikit-learn-intelex": "oneDAL"}
"""The optional libraries, each with the engine of the fits that need it: pinned only where
the folder holds such a fit (an installed PyTorch did not make an SVC's results)."""


def requirements(
    sessions: Sequence[Mapping[str, Any]],
    engines: Collection[str] | None = None,
    folder: str = "this folder",
    own: Collection[str] = (),
) -> str:
    """The pinned requirements of ``sessions`` (oldest first) for fits computed by ``engines``
    (``None``: pin every library recorded), as a requirements file's text; a ``BenchError``
    when there is no session to read them from. ``own``: the engines of models of one's own
    (plugins, as "package version"), named in a comment: pip cannot know where they come
    from."""
    machines = [session["environment"] for session in sessions if session.get("environment")]
    if not machines:
        raise BenchError(f"{folder}: its environment record names no session: nothing to pin")
    seen: dict[str, list[str]] = {}  # each library's versions, in the order first used
    newest: dict[str, str] = {}  # the version of the newest session that had it
    for machine in machines:  # oldest first
        for name, version in machine.get("versions", {}).items():
            if version is not None:
                newest[name] = version
                if version not in seen.setdefault(name, []):
                    seen[name].append(version)
    last = machines[-1]
    commits = sorted({m["git"]["commit"] for m in machines if m.get("git", {}).get("commit")})
    dirty = any(m.get("git", {}).get("dirty") for m in machines)
    lines = [
        "# The versions that made the results in this folder, from its environment record",
        f"# ({len(machines)} session(s), the newest {last.get('date', '?')} on {last['cpu']}).",
        f"# Python {', '.join(seen.pop('python', ['unknown']))}; the code at commit(s) "
        f"{', '.join(c[:10] for c in commits) or 'unknown'}"
        + (" (some sessions with uncommitted changes to it)" if dirty else "")
        + ":",
        "#   git checkout COMMIT && python -m venv env && env/bin/pip install -e . -r "
        f"{REQUIREMENTS}",
    ]
    for name, engine in OPTIONAL.items():
        if engines is not None and engine not in engines:
            seen.pop(name, None)
        elif engines is not None and name not in seen and name != "jaxlib":
            lines.append(f"# {name}: {engine} made some of these fits; its version is not recorded")
    lines += [
        f"# {engine}: a model of one's own made some of these fits; install that version of "
        "it as its author says"
        for engine in sorted(own)
    ]
    for name in sorted(seen):
        if len(seen[name]) > 1:
            used = ", ".join(seen[name])
            lines.append(f"# {name}: its sessions used {used}; pinned to the newest")
        lines.append(f"{name}=={newest[name]}")
    return "\n".join(lines) + "\n"


def records_requirements(
    sessions: Sequence[Mapping[str, Any]], records: Sequence[FitRecord], folder: str
) -> str:
    """``requirements`` for the fits ``records``: the libraries their engines need, and the
    models of one's own among them."""
    engines = {record.engine for record in records if record.engine}
    own = {record.engine for record in records if record.is_plugin and record.engine}
    return requirements(sessions, engines, folder, own)


def write_requirements(
    out_dir: Path, sessions: Sequence[Mapping[str, Any]], records: Sequence[FitRecord]
) -> list[Path]:
    """``requirements.txt`` in ``out_dir`` for ``sessions`` and the fits ``records`` (see
    ``records_requirements``); nothing where no session is recorded."""
    if not any(session.get("environment") for session in sessions):
        return []
    text = records_requirements(sessions, records, out_dir.name)
    return [atomic_write_text(out_dir / REQUIREMENTS, text)]
