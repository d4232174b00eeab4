"""`python -m projects all`, the demo's command: it trains the chosen projects through the same
CLI code as each project's own command, then indexes their reports."""

import re

import pytest

from projects import __main__ as collection


def test_all_trains_the_chosen_project_and_indexes_its_report(
    offline_sample_only, tmp_path, capsys
):
    out, workdir = tmp_path / "reports", tmp_path / "runs"
    status = collection.main(
        ["all", "--only", "image_classification", "--preset", "smoke",
         "--out", str(out), "--workdir", str(workdir)]
    )  # fmt: skip
    assert status == 0
    assert (out / "image_classification" / "metrics.json").exists()
    assert "image_classification/index.html" in (out / "index.html").read_text()
    assert re.search(
        r"Wall time: image_classification \d+ s; \d+ s in all", capsys.readouterr().out
    )


def test_timings_names_each_project_and_the_total():
    line = collection.timings({"image_classification": 12.4, "sentiment_lstm": 30.0})
    assert line == "image_classification 12 s, sentiment_lstm 30 s; 42 s in all"


def test_all_names_an_unknown_project(capsys):
    with pytest.raises(SystemExit) as stop:
        collection.main(["all", "--only", "no_such_project", "--preset", "smoke"])
    assert stop.value.code == 2
    assert "no project named ['no_such_project']" in capsys.readouterr().err
