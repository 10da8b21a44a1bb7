"""asv's published site, offline: its CDN addresses replaced by checked local copies."""

from __future__ import annotations

import functools
import http.server
import io
import json
import pathlib
import shutil
import subprocess
import sys
import tarfile
import threading

import pytest

from backprop_bench.errors import BenchError, DatasetError
from backprop_bench.reports import asv_site

ASV_INDEX = pathlib.Path(__import__("asv").__file__).parent / "www" / "index.html"


def test_every_cdn_address_of_asvs_page_is_replaced():
    page, remote = asv_site.rewrite_page(ASV_INDEX.read_text(encoding="utf-8"))
    assert remote == []
    assert "cdnjs" not in page and "jsdelivr" not in page and "code.jquery" not in page
    for package, member in asv_site.CDN_FILES.values():
        assert f'"{asv_site.local_path(package, member)}"' in page
    assert "integrity=" not in page  # the CDN's hashes are for the CDN's bytes
    assert page.count("<script") == ASV_INDEX.read_text(encoding="utf-8").count("<script")


def test_an_unknown_cdn_script_is_reported():
    page = '<script src="https://example.org/new.js"></script>'
    assert asv_site.rewrite_page(page)[1] == ["https://example.org/new.js"]


def fake_tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_tarball_that_fails_its_digest_is_refused(tmp_path):
    site = tmp_path / "html"
    site.mkdir()
    shutil.copy(ASV_INDEX, site / "index.html")
    cache = tmp_path / "cache"
    (cache / "npm").mkdir(parents=True)
    (cache / "npm" / "jquery-3.3.1.tgz").write_bytes(fake_tarball({"dist/jquery.min.js": b"x"}))
    with pytest.raises(DatasetError, match=r"npm package jquery@3\.3\.1 \(cached at .*sha512"):
        asv_site.make_offline(site, cache)
    assert "code.jquery.com" in (site / "index.html").read_text()  # the page is left alone


def test_a_folder_without_a_site_is_one_line(tmp_path):
    with pytest.raises(BenchError, match=r"no asv site at .* run `asv publish` first"):
        asv_site.make_offline(tmp_path)


def serve(folder: pathlib.Path) -> tuple[http.server.HTTPServer, str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/index.html"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_the_published_site_renders_offline_in_chromium(tmp_path):
    """asv publish on a small results folder, the npm scripts from the registry, then headless
    Chromium (which reaches no CDN here) must render asv's benchmark list, not its error page."""
    root = pathlib.Path(__file__).resolve().parents[3]
    conf = json.loads(
        "\n".join(
            line
            for line in (root / "asv.conf.json").read_text().splitlines()
            if not line.strip().startswith("//")
        )
    )
    results, html = tmp_path / "results", tmp_path / "html"
    shutil.copytree(root / "tests" / "backprop_bench" / "reports" / "asv_sample", results)
    # The sample's results are filed under this checkout's HEAD: asv publishes only commits
    # the repository has (a shallow clone may lack the one they were measured on).
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    for path in (results / "vm").glob("*-*.json"):
        data = json.loads(path.read_text())
        data["commit_hash"] = head
        path.unlink()
        (results / "vm" / f"{head[:8]}-{data['env_name']}.json").write_text(json.dumps(data))
    conf.update(results_dir=str(results), html_dir=str(html), repo=str(root))
    (tmp_path / "asv.conf.json").write_text(json.dumps(conf))
    done = subprocess.run(
        [sys.executable, "-m", "asv", "publish", "--config", str(tmp_path / "asv.conf.json")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    asv_site.make_offline(html, tmp_path / "cache")
    server, url = serve(html)
    try:
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--virtual-time-budget=15000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120,
        ).stdout  # fmt: skip
    finally:
        server.shutdown()
    assert "continental origin of swallow" not in dom
    assert "time_gradient" in dom  # asv's summary grid lists the benchmarks
