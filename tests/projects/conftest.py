"""Fixtures and checks shared by every project's tests."""

import json
import pathlib
import re
import time

from common.experiment import skeleton

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_and_rebuild(project, config, tmp_path):
    """Trains a run, checks its report folder, reruns it (reusing every model) and rebuilds the
    report from the saved results alone; returns (results, report html, rebuilt html)."""
    options = dict(workdir=tmp_path / "runs", reports_dir=tmp_path / "reports", preset="smoke")
    results, path = skeleton.run(project, config, **options)
    folder = path.parent
    for name in ("index.html", "metrics.json", "config.json", "arrays.npz"):
        assert (folder / name).exists(), name
    html = path.read_text()
    check_figures_name_their_code(html, project)
    start = time.perf_counter()
    again, _ = skeleton.run(project, config, **options)
    assert all(record["resumed"] for record in again.training.values())
    assert "Resumed run" in path.read_text()
    rebuilt_results, rebuilt = skeleton.rebuild_report(
        project, folder, reports_dir=tmp_path / "rebuilt"
    )
    assert rebuilt_results.metrics == again.metrics
    assert time.perf_counter() - start < 600
    rebuilt_html = rebuilt.read_text()
    assert f"rebuilt by python -m projects.{project.name} report (" in rebuilt_html
    assert "rebuilt by python -m projects." not in html
    assert rebuilt_html.count("<figure") == html.count("<figure")
    assert json.loads((folder / "metrics.json").read_text())["project"] == project.name
    return results, html, rebuilt_html


def check_figures_name_their_code(html, project):
    """Every figure names the function that computed it; every caption begins with a literal
    string of the project's or common's source, so grep finds the code from the page; no two
    figures share a caption."""
    figures = re.findall(r"<figure>.*?</figure>", html, flags=re.S)
    assert figures
    captions = [re.search(r"</b> (.*?)<span", f, flags=re.S).group(1).strip() for f in figures]
    repeated = {caption for caption in captions if captions.count(caption) > 1}
    assert not repeated, f"figures sharing a caption: {repeated}"
    sources = "\n".join(
        path.read_text() for path in [*ROOT.glob(f"projects/{project.name}/*.py")]
    ) + "\n".join(path.read_text() for path in ROOT.glob("common/**/*.py"))
    for figure in figures:
        assert 'class="sources">computed by ' in figure, figure[:300]
        caption = re.search(r"</b> (.*?)<span", figure, flags=re.S).group(1).strip()
        caption = caption.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")
        assert caption[:40] in sources, f"caption not in the source: {caption!r}"


def check_tuner_resumes(project, config, tmp_path):
    """One trial of the project's search runs and is reported; a rerun of the same search does
    not repeat it. (Several trials, workers and a killed search: tests/common/experiment/
    test_tuning.py, on one small project.)"""
    options = dict(workdir=tmp_path / "runs", reports_dir=tmp_path / "reports", preset="smoke")
    skeleton.tune(project, config, max_trials=1, **options)
    search = tmp_path / "runs" / project.name / "tune-smoke" / "search"
    trials = sorted(path.name for path in search.glob("trial_*"))
    assert len(trials) == 1
    first = {name: (search / name / "trial.json").stat().st_mtime for name in trials}
    skeleton.tune(project, config, max_trials=1, **options)
    assert sorted(path.name for path in search.glob("trial_*")) == trials
    assert {name: (search / name / "trial.json").stat().st_mtime for name in trials} == first
    report = tmp_path / "reports" / f"{project.name}-tuning" / "metrics.json"
    assert len(json.loads(report.read_text())["metrics"]["trials"]) == 1
    assert any((tmp_path / "runs" / project.name / "tune-smoke" / "tensorboard").iterdir())
