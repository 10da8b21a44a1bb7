"""The files every page of the site loads: plotly.js, checked against a pinned digest, and the
suite's own stylesheet and table script.

plotly.js comes from the plotly Python package (the ``site`` extra), which ships it: the site
needs no network to build or to view. A page loads scripts only from files beside it, and
plotly.js only after its SHA-256 matches the digest pinned here for its version, so a changed
or tampered copy is refused by name, as ``reports.asv_site`` refuses a changed npm package.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

from backprop_bench.errors import BenchError

#: plotly.js version -> SHA-256 of the plotly.min.js that the plotly Python package ships
PLOTLY_JS = {
    "4.1.1": "3b6e15d45dbb7fca5bd2094291e961ddc5472cd887009e6009a56dab668d721f",  # plotly 7.1.0
}
STYLESHEET = "site.css"
TABLE_SCRIPT = "site.js"  # sortable tables, and the sweep charts' model and dataset selectors


@dataclass(frozen=True)
class Asset:
    """A file the pages load, by name, with its bytes."""

    name: str
    data: bytes


LIBRARIES = ("plotly", "markdown")  # the site extra: the charts, and the summaries' Markdown


def check_libraries() -> None:
    """A ``BenchError`` naming the first library of the ``site`` extra that is missing."""
    import importlib.util

    for name in LIBRARIES:
        if importlib.util.find_spec(name) is None:
            raise BenchError(f'backprop-bench site needs {name}: pip install -e ".[site]"')


def plotly_js() -> Asset:
    """plotly.js from the installed plotly package, checked against ``PLOTLY_JS``; a
    ``BenchError`` if its plotly.js version is not pinned, or the file's digest is not the
    pinned one."""
    check_libraries()
    from plotly import offline

    version = offline.get_plotlyjs_version()
    data = offline.get_plotlyjs().encode("utf-8")
    return checked(f"plotly-{version}.min.js", version, data)


def checked(name: str, version: str, data: bytes) -> Asset:
    """``data`` as the asset ``name`` if its SHA-256 is the one pinned for plotly.js
    ``version``; else a ``BenchError`` naming the file and the problem."""
    pinned = PLOTLY_JS.get(version)
    if pinned is None:
        known = ", ".join(sorted(PLOTLY_JS))
        raise BenchError(
            f"plotly.js {version}: no pinned digest (pinned: {known}); install the plotly "
            'version the site extra names: pip install -e ".[site]"'
        )
    digest = hashlib.sha256(data).hexdigest()
    if digest != pinned:
        raise BenchError(
            f"{name}: sha256 {digest[:16]}... is not the pinned {pinned[:16]}... of plotly.js "
            f"{version}; the installed copy was changed"
        )
    return Asset(name, data)


def own(name: str) -> Asset:
    """One of the suite's own static files (``static/``)."""
    return Asset(name, (resources.files(__package__) / "static" / name).read_bytes())
