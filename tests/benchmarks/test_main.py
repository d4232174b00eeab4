"""python -m benchmarks: runs each named benchmark inside the console filter, so TensorFlow's
harmless "E0000 oneDNN ..." notices stay off the terminal there too, and refuses unknown names."""

import contextlib
import types

import pytest

from benchmarks import __main__ as benchmarks_main


def test_benchmarks_run_inside_the_stderr_filter_and_print_their_page(
    tmp_path, monkeypatch, capsys
):
    events = []

    @contextlib.contextmanager
    def recording_filter():
        events.append("filter on")
        yield
        events.append("filter off")

    def run(preset, data_dir, seed):
        events.append(f"run {preset} {seed}")
        (tmp_path / "fake.md").write_text("the page\n")
        return tmp_path / "fake.json"

    monkeypatch.setattr(benchmarks_main.console, "filtered_stderr", recording_filter)
    monkeypatch.setattr(
        benchmarks_main.importlib, "import_module", lambda name: types.SimpleNamespace(run=run)
    )
    assert benchmarks_main.main(["image_captioning", "--preset", "smoke", "--seed", "3"]) == 0
    assert events == ["filter on", "run smoke 3", "filter off"]
    assert "the page" in capsys.readouterr().out


def test_an_unknown_benchmark_is_refused_with_the_names_to_choose_from(capsys):
    with pytest.raises(SystemExit):
        benchmarks_main.main(["nope"])
    assert "no benchmark for ['nope']" in capsys.readouterr().err
