"""Tests for common.report: escaping, self-contained HTML, the files beside it, atomic writes."""

import csv
import html.parser
import json
import os
import shutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from common.report import index, meta  # noqa: E402
from common.report import parts as report_parts  # noqa: E402
from common.report import report as report_module  # noqa: E402

Report = report_module.Report
write_index = index.write_index
run_metadata = meta.run_metadata

EVIL = "<script>alert(1)</script> & friends"
METADATA = {
    "command": "python -m projects cnn --preset quick",
    "timestamp_utc": "2025-01-02T03:04:05+00:00",
    "preset": "quick",
    "seed": 7,
    "git": {"commit": "0123456789abcdef", "dirty": True},
    "data_source": {"name": "fashion_mnist", "is_sample": True, "fingerprint": "f00d"},
    "wall_time_seconds": 125.0,
}


class TagChecker(html.parser.HTMLParser):
    """Records start tags and checks that structural tags open and close in order."""

    STRUCTURAL = {
        "html",
        "head",
        "body",
        "main",
        "section",
        "nav",
        "table",
        "thead",
        "tbody",
        "tr",
        "td",
        "th",
        "figure",
        "figcaption",
        "div",
        "ol",
        "ul",
        "li",
        "p",
        "span",
    }

    def __init__(self):
        super().__init__()
        self.stack, self.starts, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag in self.STRUCTURAL:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.STRUCTURAL:
            if not self.stack or self.stack[-1] != tag:
                self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            else:
                self.stack.pop()


def parse(text):
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    return checker


def full_report():
    report = Report("demo", f"Demo {EVIL}", summary=f"Summary {EVIL}")
    report.add_banner(f"Banner {EVIL}")
    report.add_metric("accuracy", np.float32(0.875), headline=True)
    report.add_metric("parameters", 12345, fmt="{:,}")
    report.add_section(f"Section {EVIL}", f"First paragraph {EVIL}\n\nSecond paragraph")
    figure, ax = plt.subplots()
    ax.plot([1, 2, 3])
    report.add_figure(figure, caption=f"Caption {EVIL}")
    report.add_table(
        ["name", "value"], [[EVIL, 0.5], ["big", 1234567], ["none", None]], caption=f"Table {EVIL}"
    )
    report.add_image_grid(
        np.random.default_rng(0).random((3, 28, 28)),
        ["a", EVIL, "c"],
        label_colors=["green", "red", None],
        caption=f"Grid {EVIL}",
    )
    report.add_text_samples(
        [
            {"text": f"Review {EVIL}", "label": f"label {EVIL}"},
            {
                "text": "x",
                "tokens": ["good", "<script>alert(1)</script>", "&"],
                "weights": [1, 4, 2],
            },
        ],
        caption=f"Samples {EVIL}",
    )
    return report, figure


def write(report, out_dir, history=None):
    results = {
        "metrics": {"accuracy": np.float32(0.875), "curve": np.arange(3)},
        "metadata": {**METADATA, "config": {"epochs": np.int64(3), "units": (8, 16)}},
    }
    return report.write(out_dir, results=report_parts.to_jsonable(results), history=history)


def test_html_is_escaped_self_contained_and_well_formed(tmp_path):
    report, figure = full_report()
    path = write(report, tmp_path / "demo")
    text = path.read_text(encoding="utf-8")
    checker = parse(text)
    assert (
        "<script" not in text.lower()
    )  # not in samples, tables, captions, titles, banners, tokens
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 10
    assert "&amp; friends" in text and "& friends" not in text
    assert "data:image/png;base64," in text
    assert not plt.fignum_exists(figure.number)  # add_figure closed it
    for _tag, attrs in checker.starts:  # no external resources of any kind
        for name in ("src", "href"):
            assert not str(attrs.get(name, "")).startswith(("http:", "https:", "//"))
    assert "http://" not in text and "https://" not in text
    for heading in ("Contents", "Configuration", "Run metadata", "Section &lt;script&gt;"):
        assert heading in text
    spans = [a for tag, a in checker.starts if tag == "span" and "title" in a]
    assert [s["title"] for s in spans] == ["weight 1.0000", "weight 4.0000", "weight 2.0000"]
    assert "rgba(255, 152, 0, 1.0)" in text and "rgba(255, 152, 0, 0.25)" in text
    assert "1,234,567" in text and "—" in text and "#2e7d32" in text
    assert "fashion_mnist" in text and "0123456789abcdef" in text


def test_side_files_hold_plain_json_and_csv(tmp_path):
    report, _ = full_report()
    history = {"loss": np.array([1.0, 0.5, 0.25], dtype=np.float32), "val_loss": [1.1, 0.6]}
    write(report, tmp_path / "demo", history=history)
    metrics = json.loads((tmp_path / "demo" / "metrics.json").read_text())
    assert metrics["project"] == "demo" and metrics["is_sample"] is True
    assert metrics["headline"]["name"] == "accuracy" and metrics["headline"]["value"] == 0.875
    assert metrics["metrics"] == {"accuracy": 0.875, "curve": [0, 1, 2]}
    assert metrics["metadata"]["seed"] == 7
    config = json.loads((tmp_path / "demo" / "config.json").read_text())
    assert config == {"epochs": 3, "units": [8, 16]}
    with open(tmp_path / "demo" / "history.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["epoch", "loss", "val_loss"],
        ["1", "1.0", "1.1"],
        ["2", "0.5", "0.6"],
        ["3", "0.25", ""],
    ]


def test_second_headline_replaces_the_first_and_bad_inputs_fail():
    report = Report("p", "t")
    report.add_metric("a", 1.0, headline=True)
    report.add_metric("b", 2.0, headline=True)
    assert report.headline == "b"
    with pytest.raises(ValueError):
        report.add_banner("x", kind="danger")
    with pytest.raises(ValueError):
        report.add_table(["a", "b"], [[1]])
    with pytest.raises(ValueError):
        report.add_image_grid(np.zeros((2, 4, 4)), ["x"])
    with pytest.raises(ValueError):
        report.add_image_grid(np.zeros((1, 4, 4)), ["x"], label_colors=["red; background:url(x)"])
    with pytest.raises(ValueError):
        report.add_text_samples([{"text": "a b", "tokens": ["a", "b"], "weights": [1.0]}])


def test_failed_write_keeps_previous_report_and_leaves_no_temp_folder(tmp_path, monkeypatch):
    write(Report("demo", "First version"), tmp_path / "demo")
    before = {p.name: p.read_bytes() for p in (tmp_path / "demo").iterdir()}
    calls = []

    def failing_write_file(path, content):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        original(path, content)

    original = report_parts.write_file
    monkeypatch.setattr(report_parts, "write_file", failing_write_file)
    with pytest.raises(OSError, match="disk full"):
        write(Report("demo", "Second version"), tmp_path / "demo")
    after = {p.name: p.read_bytes() for p in (tmp_path / "demo").iterdir()}
    assert after == before and b"First version" in after["index.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_failed_swap_puts_the_previous_report_back(tmp_path, monkeypatch):
    write(Report("demo", "First version"), tmp_path / "demo")
    real_rename = os.rename

    def rename(source, target):
        if ".tmp-" in str(source):
            raise OSError("rename failed")
        real_rename(source, target)

    monkeypatch.setattr(report_parts.os, "rename", rename)
    with pytest.raises(OSError, match="rename failed"):
        write(Report("demo", "Second version"), tmp_path / "demo")
    assert "First version" in (tmp_path / "demo" / "index.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_rewrite_replaces_the_report(tmp_path):
    write(Report("demo", "First version"), tmp_path / "demo")
    path = write(Report("demo", "Second version"), tmp_path / "demo")
    assert "Second version" in path.read_text() and sorted(os.listdir(tmp_path)) == ["demo"]


def test_write_index_lists_projects_and_survives_a_malformed_file(tmp_path):
    for name, value in (("cnn", 0.91), ("imdb", 0.87)):
        report = Report(name, f"Title of {name}")
        report.add_metric(f"{name} accuracy", value, headline=True)
        write(report, tmp_path / name)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "metrics.json").write_text("{not json")
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "metrics.json").write_text(json.dumps({"title": EVIL, "headline": None}))
    text = write_index(tmp_path).read_text()
    parse(text)
    assert 'href="cnn/index.html"' in text and 'href="imdb/index.html"' in text
    assert "cnn accuracy" in text and "0.9100" in text and "imdb accuracy" in text
    assert "broken" in text and "Skipped" in text
    assert "<script" not in text and "sample" in text and "2 min 5 s" in text
    assert "01234567+dirty" in text


def test_write_index_lists_reports_one_folder_deeper(tmp_path):
    report = Report("cnn", "CNN on another data set")
    report.add_metric("accuracy", 0.5, headline=True)
    write(report, tmp_path / "cifar10" / "cnn")
    write(Report("cnn", "CNN"), tmp_path / "cnn")
    text = write_index(tmp_path).read_text()
    assert 'href="cifar10/cnn/index.html"' in text and "cnn (cifar10)" in text
    assert 'href="cnn/index.html"' in text


def test_write_index_on_an_empty_root_says_how_to_make_reports(tmp_path):
    text = write_index(tmp_path / "reports").read_text()
    assert "No reports yet" in text and "make demo" in text
    parse(text)


def test_run_metadata_outside_a_git_repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert meta.git_info(tmp_path) is None
    metadata = run_metadata(
        config={"a": np.float64(1.5)},
        seed=3,
        preset="smoke",
        data_source={"is_sample": True},
        wall_time_seconds=1.25,
        command=["python", "-m", "projects", "cnn"],
    )
    expected = {
        "command",
        "timestamp_utc",
        "preset",
        "seed",
        "config",
        "git",
        "versions",
        "data_source",
        "hardware",
        "wall_time_seconds",
    }
    assert expected <= set(metadata)
    assert metadata["command"] == "python -m projects cnn"
    assert {"python", "numpy", "keras", "tensorflow", "keras_backend"} <= set(metadata["versions"])
    hardware = metadata["hardware"]
    assert {"platform", "cpu_model", "logical_cores", "total_memory_gb", "gpus"} <= set(hardware)
    assert {"cpu_vector_extensions", "onednn"} <= set(hardware)
    assert hardware["peak_memory_mb"] is None or hardware["peak_memory_mb"] > 0
    json.dumps(metadata, allow_nan=False)  # plain JSON all the way down


def test_index_never_links_the_folders_a_killed_write_leaves(tmp_path):
    write(Report("demo", "First version"), tmp_path / "demo")
    # A process killed mid-write leaves its staging folder, maybe already holding metrics.json,
    # or (killed between the two renames) the previous report set aside.
    for leftover in (".demo.tmp-abc123", ".demo.old-abc123"):
        shutil.copytree(tmp_path / "demo", tmp_path / leftover)
    text = write_index(tmp_path).read_text()
    assert 'href="demo/index.html"' in text
    assert ".tmp-" not in text and ".old-" not in text


def test_markup_in_folder_names_and_headlines_stays_text_in_the_index(tmp_path):
    evil = '"><img src=x onerror=alert(2)>'
    report = Report(f"demo {evil}", f"Title {evil}")
    report.add_metric(f"accuracy {evil}", 0.5, headline=True)
    write(report, tmp_path / evil)
    text = write_index(tmp_path).read_text()
    parse(text)
    assert "<img" not in text and "onerror=alert(2)>" not in text
    assert "&lt;img src=x onerror=alert(2)&gt;" in text
    assert 'href="%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E/index.html"' in text
