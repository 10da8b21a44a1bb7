"""The site of the committed results in a real browser (headless Chromium, driven by
Playwright): every page draws a mark for every data point, holds its table rows and verdict
sentences, sorts and filters, throws no script error and asks nothing of the network.

Slow (about half a minute), and run in CI. It needs Debian's chromium (``apt-get install
chromium``); without it the test is skipped, unless BACKPROP_BENCH_REQUIRE_BROWSER is set (as
in CI), where it fails. With BACKPROP_BENCH_SITE_SCREENSHOTS=docs it also refreshes the
screenshots of docs/ (one per kind of page)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("plotly")
sync_api = pytest.importorskip("playwright.sync_api")

from backprop_bench.cli import main  # noqa: E402
from tests.backprop_bench.reports.site_expectations import (  # noqa: E402
    REPO,
    chart_points,
    folders,
    kind,
    table_rows,
    verdict_sentences,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = {  # the kind of page -> its screenshot in docs/, the folder shown, where
    "index": ("site-index.png", None, None),
    "comparison": ("site-comparison.png", "mnist", None),
    "sweep": ("site-sweep.png", "scaling", "#axis-n_train"),
    "speed": ("site-speed.png", "speed", "#ratios"),
}
#: Drawn marks: a scatter point, or a heatmap cell's number.
MARKS = "path.point, g.heatmap-label text"
ALL_DRAWN = """() => Array.from(document.querySelectorAll('.chart .js-plotly-plot'))
    .every(d => d._fullLayout && d.querySelector('.main-svg'))"""


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    """A Chromium page that refuses, and records, every request that is not for a local
    file; and the site of the committed results."""
    if CHROMIUM is None:
        message = "no chromium: apt-get install chromium"
        if os.environ.get("BACKPROP_BENCH_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    out = tmp_path_factory.mktemp("site") / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        assert main(["site", "--out", str(out)]) == 0
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        remote, errors = [], []

        def route(request_route):
            url = request_route.request.url
            if url.startswith("file://"):
                request_route.continue_()
            else:
                remote.append(url)
                request_route.abort()

        page.route("**/*", route)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        yield page, out, remote, errors
        browser.close()


def load(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_function(ALL_DRAWN, timeout=30_000)


def drawn(page) -> dict[str, int]:
    """Each chart's marks, as the browser drew them."""
    return page.evaluate(
        """(marks) => Object.fromEntries(Array.from(document.querySelectorAll('div.chart'))
            .map(c => [c.dataset.chart, c.querySelectorAll(marks).length]))""",
        MARKS,
    )


def screenshot(page, kind: str, tmp: Path) -> None:
    name, _, where = SCREENSHOTS[kind]
    if where:
        page.evaluate(f"document.querySelector('{where}').scrollIntoView()")
    page.screenshot(path=str(tmp / name))
    folder = os.environ.get("BACKPROP_BENCH_SITE_SCREENSHOTS")
    if folder:
        shutil.copyfile(tmp / name, Path(folder) / name)


def test_the_detector_catches_a_page_that_asks_the_network(browser_page, tmp_path):
    page, _, remote, errors = browser_page
    probe = tmp_path / "probe.html"
    probe.write_text('<html><script src="https://cdn.example.org/x.js"></script></html>')
    page.goto(probe.as_uri())
    assert remote == ["https://cdn.example.org/x.js"]
    assert errors == ["Failed to load resource: net::ERR_FAILED"]  # the refusal, seen
    remote.clear()
    errors.clear()


def test_the_index_lists_every_folder(browser_page, tmp_path):
    page, out, remote, errors = browser_page
    page.goto((out / "index.html").as_uri())
    links = page.eval_on_selector_all("table[data-table=index] tbody a", "a => a.map(x => x.text)")
    assert links == [folder.name for folder in folders()]
    screenshot(page, "index", tmp_path)
    assert remote == [] and errors == []


@pytest.mark.parametrize("folder", folders(), ids=lambda f: f.name)
def test_every_page_draws_every_point_and_holds_its_rows(browser_page, folder, tmp_path):
    page, out, remote, errors = browser_page
    load(page, out / f"{folder.name}.html")
    assert drawn(page) == chart_points(folder)
    for name, rows in table_rows(folder).items():
        assert page.locator(f"table[data-table='{name}'] tbody tr").count() == rows
    if kind(folder) == "comparison":
        shown = page.eval_on_selector_all("ul.verdicts li", "li => li.map(x => x.innerText)")
        assert shown == verdict_sentences(folder)
    shot = next((k for k, (_, f, _) in SCREENSHOTS.items() if f == folder.name), None)
    if shot:
        screenshot(page, shot, tmp_path)
    assert remote == [], f"{folder.name} asked the network for {remote}"
    assert errors == [], f"{folder.name}: {errors}"


def test_a_table_sorts_by_the_heading_clicked(browser_page):
    page, out, _, errors = browser_page
    load(page, out / "mnist.html")
    heading = page.locator("table[data-table='comparison'] th", has_text="test acc. mean")
    column = "test acc. mean"

    def values() -> list[float]:
        index = page.eval_on_selector_all(
            "table[data-table='comparison'] th",
            f"h => h.findIndex(x => x.innerText.startsWith('{column}'))",
        )
        cells = f"table[data-table='comparison'] tbody tr td:nth-child({index + 1})"
        return [
            float(v) for v in page.eval_on_selector_all(cells, "t => t.map(x => x.dataset.sort)")
        ]

    heading.click()
    assert values() == sorted(values())
    heading.click()
    assert values() == sorted(values(), reverse=True)
    assert errors == []


def test_a_sweep_selector_shows_one_model(browser_page):
    page, out, _, errors = browser_page
    load(page, out / "scaling.html")
    everything = drawn(page)
    page.select_option("select[data-filter='model']", "mnist-000")
    page.wait_for_timeout(300)
    one = drawn(page)
    fits = 6 * 3  # six sizes, three seeds
    assert one["sweep-0-test-accuracy"] == 6 + fits < everything["sweep-0-test-accuracy"]
    page.select_option("select[data-filter='model']", "")
    page.wait_for_timeout(300)
    assert drawn(page) == everything
    assert errors == []
