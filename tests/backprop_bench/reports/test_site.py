"""`backprop-bench site`: the pages built from the committed results, checked against those
results' own files; the pinned plotly.js; bad folders and output folders refused by name.
(The same site in a real browser: test_site_browser.py, a slow test.)"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("plotly")
pytest.importorskip("markdown")

from backprop_bench.cli import main
from backprop_bench.errors import BenchError
from backprop_bench.reports.site import assets, folder_kind
from backprop_bench.reports.site.pages import markdown
from backprop_bench.reports.sweeps import log_spaced
from tests.backprop_bench.reports.site_expectations import (
    REPO,
    RESULTS,
    chart_points,
    folders,
    kind,
    table_rows,
    text_of,
    verdict_sentences,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site of every committed results folder, built as a user would (no folder named:
    every folder under results/)."""
    out = tmp_path_factory.mktemp("site") / "site"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        assert main(["site", "--out", str(out), "--asv-html", str(out.parent / "no-asv")]) == 0
    return out


def page(site: Path, folder: Path) -> str:
    return (site / f"{folder.name}.html").read_text(encoding="utf-8")


def test_the_index_lists_every_results_folder_with_what_it_answered(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr>.*?</tr>", index.split("<tbody>")[1], flags=re.S)
    assert len(rows) == len(folders()) >= 7
    for folder in folders():
        assert f'href="{folder.name}.html"' in index
        assert (site / f"{folder.name}.html").is_file()
    mnist = next(row for row in rows if 'href="mnist.html"' in row)
    made = json.loads((RESULTS / "mnist" / "environment.json").read_text())["sessions"][-1]
    machine = f"{made['environment']['cpu']}, {made['environment']['cores']} cores"
    for fact in (
        machine,
        made["environment"]["git"]["commit"][:10],
        made["environment"]["date"][:10],
    ):
        assert f'<td class="text">{fact}</td>' in mnist
    assert "No asv site was found" in index


def test_every_folder_is_found_as_its_kind():
    assert [folder_kind(f) for f in folders()] == [kind(f) for f in folders()]
    assert folder_kind(REPO / "docs") is None


@pytest.mark.parametrize("folder", folders(), ids=lambda f: f.name)
def test_every_chart_marks_the_points_of_its_data(site, folder):
    html = page(site, folder)
    stated = {
        name: int(points)
        for name, points in re.findall(r'data-chart="([^"]+)" data-points="(\d+)"', html)
    }
    assert stated == chart_points(folder)


@pytest.mark.parametrize("folder", folders(), ids=lambda f: f.name)
def test_every_table_has_a_row_per_row_of_its_file(site, folder):
    html = page(site, folder)
    for name, rows in table_rows(folder).items():
        body = html.split(f'data-table="{name}"')[1].split("</tbody>")[0]
        assert body.count("<tr") - 1 == rows, name  # the heading's row, then the rows


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_a_comparison_page_says_every_verdict_and_draws_each_interval(site, name):
    folder = RESULTS / name
    html = page(site, folder)
    text = text_of(html)
    for sentence in verdict_sentences(folder):
        assert sentence in text
    comparison = html.split('data-table="comparison"')[1].split("</tbody>")[0]
    assert comparison.count('class="interval"') == table_rows(folder)["comparison"]
    made = json.loads((folder / "environment.json").read_text())["sessions"][-1]["environment"]
    kernels = {blas["architecture"] for blas in made["blas"] if blas.get("architecture")}
    assert "Reproduction" in text and f"numpy {made['versions']['numpy']}" in text
    assert kernels and all(f"({kernel} kernel" in text for kernel in kernels)


def test_the_mnist_page_says_how_its_reproduction_went(site):
    text = text_of(page(site, RESULTS / "mnist"))
    said = json.loads((RESULTS / "mnist" / "environment.json").read_text())["this_run"]
    lines = [line.strip() for line in said["reproduction"][1:]]
    assert lines and any(line.startswith("mnist-000: ") for line in lines)
    for line in lines:
        assert line in text


def test_a_sweep_page_has_selectors_log_axes_and_exponents(site):
    html = page(site, RESULTS / "scaling")
    assert '<select data-filter="model">' in html and '<select data-filter="dataset">' in html
    for model in ("linear", "mlp", "mnist-000", "svc", "svc-000"):
        assert f'<option value="{model}">' in html
    assert '"type":"log"' in html  # n_train, 1,000 to 60,000
    assert "Fitted exponents" in html and 'data-table="exponents"' in html
    width = page(site, RESULTS / "scaling-width")
    assert "initialiser" in width and '"type":"category"' in width


def test_a_speed_page_gives_each_ratio_its_interval_and_verdict(site):
    html = page(site, RESULTS / "speed")
    rows = html.split('data-table="speed"')[1].split("</tbody>")[0]
    assert (
        rows.count('<tr class="faster">')
        + rows.count('<tr class="slower">')
        + rows.count('<tr class="none">')
        == table_rows(RESULTS / "speed")["speed"]
    )
    assert "95% CI" in html and "error_x" in html


def test_the_pages_load_only_files_of_the_site(site):
    pinned = assets.PLOTLY_JS["4.1.1"]
    script = site / "plotly-4.1.1.min.js"
    assert hashlib.sha256(script.read_bytes()).hexdigest() == pinned
    for path in site.glob("*.html"):
        html = path.read_text(encoding="utf-8")
        for target in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert "://" not in target and not target.startswith("//"), (path.name, target)
            assert (site / target).is_file(), (path.name, target)


def test_the_asv_site_is_linked_where_it_was_built(tmp_path):
    asv = tmp_path / "asv-html"
    asv.mkdir()
    (asv / "index.html").write_text("<html></html>")
    out = tmp_path / "site"
    assert main(["site", str(RESULTS / "speed"), "--out", str(out), "--asv-html", str(asv)]) == 0
    assert 'href="../asv-html/index.html"' in (out / "index.html").read_text(encoding="utf-8")


def test_a_changed_or_unpinned_plotly_js_is_refused():
    with pytest.raises(BenchError, match=r"plotly\.min\.js: sha256 .* is not the pinned"):
        assets.checked("plotly.min.js", "4.1.1", b"// changed")
    with pytest.raises(BenchError, match=r"plotly\.js 9\.9\.9: no pinned digest"):
        assets.checked("plotly.min.js", "9.9.9", b"")


def test_a_malformed_folder_is_named_and_the_old_site_kept(tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["site", str(RESULTS / "speed"), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    broken = tmp_path / "mnist"
    shutil.copytree(RESULTS / "mnist", broken)
    lines = (broken / "runs.jsonl").read_text(encoding="utf-8").splitlines()
    (broken / "runs.jsonl").write_text("\n".join([lines[0], "{not json", *lines[2:]]) + "\n")
    capsys.readouterr()
    assert main(["site", str(broken), str(RESULTS / "speed"), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "runs.jsonl" in error and "line 2" in error
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_a_speed_table_with_a_ratio_outside_its_interval_is_refused(tmp_path, capsys):
    folder = tmp_path / "speed"
    shutil.copytree(RESULTS / "speed", folder)
    text = (folder / "speed.csv").read_text(encoding="utf-8").replace(",0.558,", ",0.9,", 1)
    (folder / "speed.csv").write_text(text)
    assert main(["site", str(folder), "--out", str(tmp_path / "site")]) == 1
    error = capsys.readouterr().err
    assert "speed.csv row 1: the ratio lies outside its interval" in error
    assert not (tmp_path / "site" / "index.html").exists()


def test_a_folder_that_holds_no_results_is_refused(tmp_path, capsys):
    assert main(["site", str(tmp_path), "--out", str(tmp_path / "site")]) == 1
    assert "not a results folder" in capsys.readouterr().err


def test_an_out_folder_that_is_not_a_site_is_refused_and_left_alone(tmp_path, capsys):
    results = tmp_path / "mnist"
    shutil.copytree(RESULTS / "mnist", results)
    before = sorted(p.name for p in results.iterdir())
    assert main(["site", str(RESULTS / "speed"), "--out", str(results)]) == 1
    assert "not a site's folder" in capsys.readouterr().err
    assert sorted(p.name for p in results.iterdir()) == before


def test_the_site_is_replaced_whole(tmp_path):
    out = tmp_path / "site"
    assert main(["site", str(RESULTS / "speed"), str(RESULTS / "anchors"), "--out", str(out)]) == 0
    assert (out / "anchors.html").is_file()
    assert main(["site", str(RESULTS / "speed"), "--out", str(out)]) == 0
    assert not (out / "anchors.html").exists() and (out / "speed.html").is_file()


def test_folders_with_one_name_get_pages_of_their_own(tmp_path):
    other = tmp_path / "elsewhere" / "speed"
    shutil.copytree(RESULTS / "speed", other)
    out = tmp_path / "site"
    assert main(["site", str(RESULTS / "speed"), str(other), "--out", str(out)]) == 0
    assert (out / "speed.html").is_file() and (out / "speed-2.html").is_file()


@pytest.mark.parametrize(
    ("values", "log"),
    [
        ([1000, 2000, 5000, 10000, 20000, 60000], True),
        ([10, 30, 100, 300], True),
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], False),
        ([1, 2, 3], False),
        (["normal_fan_in", "standard_normal"], False),
        ([0, 10, 100, 1000], False),
    ],
)
def test_an_axis_is_log_where_its_values_are_log_spaced(values, log):
    assert log_spaced(values) is log


def test_markdown_from_a_folder_cannot_add_html_or_links():
    html = markdown("<script>alert(1)</script> **bold** [a](javascript:x) ![i](y.png) `c`")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<strong>bold</strong>" in html and "<code>c</code>" in html
    assert "href" not in html and "<img" not in html


def test_an_anchors_table_without_its_columns_is_refused(tmp_path, capsys):
    folder = tmp_path / "anchors"
    shutil.copytree(RESULTS / "anchors", folder)
    (folder / "anchors.csv").write_text("anchor,published\nx,0.9\n")
    assert main(["site", str(folder), "--out", str(tmp_path / "site")]) == 1
    assert "anchors.csv: no column 'dataset'" in capsys.readouterr().err


def test_a_plugin_models_results_get_their_page(tmp_path, monkeypatch):
    from backprop_bench.experiments import runner
    from backprop_bench.experiments.records import FitCache
    from backprop_bench.experiments.runner import RunOptions
    from backprop_bench.reports.publish import write_results

    example = REPO / "examples" / "student-net"
    monkeypatch.syspath_prepend(str(example))
    monkeypatch.setenv("PYTHONPATH", str(example))
    student = "student_net.network:StudentNetwork"
    comparison = runner.compare(
        "digits", [student, "linear"], seeds=(0, 1), n_train=300, n_test=120,
        options=RunOptions(cache=FitCache(tmp_path / "runs"), jobs=1),
    )  # fmt: skip
    write_results(tmp_path / "mine", comparison)
    out = tmp_path / "site"
    assert main(["site", str(tmp_path / "mine"), "--out", str(out)]) == 0
    html = (out / "mine.html").read_text(encoding="utf-8")
    stated = dict(re.findall(r'data-chart="([^"]+)" data-points="(\d+)"', html))
    assert stated["accuracy-vs-fit-time"] == "3"  # two seeds of the plugin, one linear fit
    assert stated == {k: str(v) for k, v in chart_points(tmp_path / "mine").items()}
    assert f'<td class="text">{student}</td>' in html
    assert "student_net 0.1.0" in html
    index = (out / "index.html").read_text(encoding="utf-8")
    assert student in index and "digits" in index
