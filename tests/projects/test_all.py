"""`python -m projects all`, the demo's command: it trains the chosen projects through the same
CLI code as each project's own command, then indexes their reports."""

import pytest

from projects import __main__ as collection


def test_all_trains_the_chosen_project_and_indexes_its_report(offline_sample_only, tmp_path):
    out, workdir = tmp_path / "reports", tmp_path / "runs"
    status = collection.main(
        ["all", "--only", "image_classification", "--preset", "smoke",
         "--out", str(out), "--workdir", str(workdir)]
    )  # fmt: skip
    assert status == 0
    assert (out / "image_classification" / "metrics.json").exists()
    assert "image_classification/index.html" in (out / "index.html").read_text()


def test_all_names_an_unknown_project(capsys):
    with pytest.raises(SystemExit) as stop:
        collection.main(["all", "--only", "no_such_project", "--preset", "smoke"])
    assert stop.value.code == 2
    assert "no project named ['no_such_project']" in capsys.readouterr().err
