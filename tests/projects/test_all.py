"""`python -m projects all`, the demo's command: it trains the chosen projects through the same
CLI code as each project's own command, then indexes their reports."""

import re
import sys

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


def test_each_child_process_gets_every_flag_of_the_run_and_its_own_settings():
    parser = collection.build_parser()
    argv = ["all", "--preset", "smoke", "--seed", "3", "--epochs", "2", "--data-dir", "/d",
            "--out", "o", "--workdir", "w", "--fresh", "--set", "units=8",
            "--set", "adv_multiplier=0.1"]  # fmt: skip
    parent = parser.parse_args(argv)
    project = collection.adversarial_regularization.PROJECT
    command = collection.child_command(project, parent)
    assert command[:3] == [sys.executable, "-m", "projects"]
    child = vars(parser.parse_args(command[3:]))
    assert child.pop("only") == [project.name] and child.pop("jobs") == 1
    expected = {**vars(parent), "overrides": ["adv_multiplier=0.1"]}  # Its own fields only.
    assert child == {key: value for key, value in expected.items() if key in child}
    assert set(expected) - set(child) == {"only", "jobs"}


def test_processes_run_two_at_a_time_with_named_lines_and_failures_reported(capsys):
    def command(text, status):
        quiet = f"import os; os.environ[{collection.CHILD_VARIABLE!r}] or print('Wall time')"
        return [sys.executable, "-c", f"{quiet}; print({text!r}); raise SystemExit({status})"]

    commands = {"one": command("hello", 0), "two": command("oops", 3), "three": command("x", 0)}
    seconds, failures = collection.run_processes(commands, jobs=2)
    assert set(seconds) == {"one", "two", "three"} and failures == ["two"]
    out = capsys.readouterr().out
    assert "[one] hello" in out and "[two] oops" in out and "[three] x" in out
    assert "=== two: FAILED (exit status 3)" in out
    assert "Wall time" not in out  # Each child leaves the summary lines to `all`.
    assert out.index("=== three: started") > min(
        out.index("=== one: finished"), out.index("=== two: FAILED")
    )  # The third waits for a free place.


def test_timings_side_by_side_give_the_wall_clock_not_the_sum():
    line = collection.timings({"a": 100.0, "b": 90.0}, elapsed=120.4, jobs=2)
    assert line == "a 100 s, b 90 s; 120 s from start to end, 2 at a time"
