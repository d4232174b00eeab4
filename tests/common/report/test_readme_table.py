import json
import pathlib

import pytest

from common.report import readme_table

REPOSITORY = pathlib.Path(__file__).resolve().parents[3]


def write_report(root, folder, value, sample=False):
    path = root / "reports" / folder / "metrics.json"
    path.parent.mkdir(parents=True)
    summary = {
        "project": pathlib.Path(folder).name,
        "headline": {"name": "test accuracy", "value": value, "display": f"{value:.4f}"},
        "is_sample": sample,
        "metadata": {
            "preset": "full",
            "git": {"commit": "0123456789abcdef", "dirty": False},
            "data_source": {"dataset": "fashion_mnist"},
        },
    }
    path.write_text(json.dumps(summary))


def test_table_reads_reports_and_benchmarks(tmp_path):
    write_report(tmp_path, "image_classification", 0.9338)
    write_report(tmp_path, "cifar10/image_classification", 0.8712, sample=True)
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    benchmark = {"results": [{"name": "keras-io", "test_accuracy": 0.9025}, {"name": "ours"}]}
    (results / "image_classification.json").write_text(json.dumps(benchmark))

    lines = readme_table.table(tmp_path).splitlines()

    assert len(lines) == 4  # header, rule, two reports
    assert "**0.9338**" in lines[2] and "Fashion-MNIST" in lines[2] and "`01234567`" in lines[2]
    assert "keras-io: test_accuracy 0.9025" in lines[2]
    assert "benchmarks/results/image_classification.json" in lines[2]
    assert "ours" not in lines[2]  # An entry without a score is left out.
    assert "**0.8712**" in lines[3] and "(bundled sample)" in lines[3] and lines[3].endswith("— |")


def test_a_benchmarked_project_without_a_report_gets_its_own_row(tmp_path):
    write_report(tmp_path, "image_classification", 0.9338)
    for project in ("image_classification", "image_captioning"):
        (tmp_path / "projects" / project).mkdir(parents=True)
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    benchmark = {"results": [{"name": "ours", "bleu1": 57.44, "bleu4": 16.84}]}
    (results / "image_captioning.json").write_text(json.dumps(benchmark))
    shapes = {"project": "image_captioning_shapes", "exact_beam": 0.998}  # No results list.
    (results / "image_captioning_shapes.json").write_text(json.dumps(shapes))
    (results / "sentiment_predict.json").write_text(json.dumps({"results": []}))  # No project.

    lines = readme_table.table(tmp_path).splitlines()

    assert len(lines) == 4
    assert lines[3].startswith("| image_captioning (no published report yet) |")
    assert "ours: bleu4 16.8 (`benchmarks/results/image_captioning.json`)" in lines[3]
    assert "ours: exact_beam 99.8% of captions exactly right (`benchmarks/results/" in lines[3]


def test_rewrite_replaces_only_between_markers():
    text = f"intro\n{readme_table.START}\nold table\n{readme_table.END}\noutro\n"

    new = readme_table.rewrite(text, "| new |")

    assert new == f"intro\n{readme_table.START}\n| new |\n{readme_table.END}\noutro\n"


def test_rewrite_without_markers_says_which():
    with pytest.raises(ValueError, match="results-table marker"):
        readme_table.rewrite("no markers here", "| new |")


def test_readme_agrees_with_the_committed_results():
    """The README's numbers are the committed files' numbers: `make readme` after a new run."""
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")

    expected = readme_table.rewrite(readme, readme_table.table(REPOSITORY))

    assert readme == expected, "README.md's results table is stale: run `make readme`."
