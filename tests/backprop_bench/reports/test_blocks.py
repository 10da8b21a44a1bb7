"""The registry of the README's blocks: each made from its folder's files, links relative to
the README."""

from __future__ import annotations

from backprop_bench.reports import blocks
from backprop_bench.reports.readme import END, START


def test_relative_links_are_made_relative_to_the_readme():
    text = (
        "See [table.md](table.md), ![plot](plot.png), [the docs](https://example.org/a.md), "
        "[here](#section) and [root](/etc/x)."
    )
    assert blocks.linked_from(text, "results/x/") == (
        "See [results/x/table.md](results/x/table.md), ![plot](results/x/plot.png), "
        "[the docs](https://example.org/a.md), [here](#section) and [root](/etc/x)."
    )


def readme_with(tmp_path, name):
    readme = tmp_path / "README.md"
    readme.write_text(f"# T\n{START.format(name=name)}\nold\n{END.format(name=name)}\n")
    return readme


def test_a_comparison_block_is_its_folders_summary_not_recomputed(tmp_path):
    folder = tmp_path / "results" / "mnist"
    folder.mkdir(parents=True)
    (folder / "summary.md").write_text("Mean 0.95. Full tables: [comparison.md](comparison.md).\n")
    readme = readme_with(tmp_path, "mnist")
    assert blocks.refresh(readme, folder, "comparison")
    assert (
        "Mean 0.95. Full tables: [results/mnist/comparison.md](results/mnist/comparison.md)."
        in (readme.read_text())
    )


def test_a_folder_without_its_files_or_a_readme_without_the_block_is_left_alone(tmp_path):
    folder = tmp_path / "results" / "speed"
    folder.mkdir(parents=True)
    readme = readme_with(tmp_path, "speed")
    assert not blocks.refresh(readme, folder, "speed")  # no summary.md yet
    assert "old" in readme.read_text()
    (folder / "summary.md").write_text("Measured.\n")
    assert blocks.refresh(readme, folder, "speed")
    assert "[results/speed/speed.md](results/speed/speed.md)" in readme.read_text()
    other = readme_with(tmp_path, "anchors")
    assert not blocks.refresh(other, folder, "speed")  # the README has no speed block
