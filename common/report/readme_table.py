"""The README's results table, written from the files that hold the results, so that a number in
the README can never drift from its report: `python -m projects readme` (and `make readme`)
rewrites the lines between the two markers, and a test fails when they disagree.

Each row is one published report (`reports/<project>/metrics.json`, or one folder deeper for
another data set) and the benchmark files of that project (`benchmarks/results/<project>*.json`).
"""

import json
import pathlib

from common.data import loaders
from common.report import index

START = "<!-- results-table:start (written by `python -m projects readme`; do not edit) -->"
END = "<!-- results-table:end -->"
# The score a benchmark entry is ranked by, the first of these it has.
BENCHMARK_SCORES = (
    "pgd_accuracy", "test_psnr", "test_accuracy_with_tta", "test_accuracy", "bleu4", "exact_beam"
)  # fmt: skip
HEADER = (
    "| report | headline (test set, used once) | preset, data | commit | benchmark "
    "(same machine, one run; file) |\n|---|---|---|---|---|"
)


def report_rows(root):
    """One row per published report under `root/reports`, top-level ones first, then one per
    project that has benchmark files but no published report yet."""
    reports = pathlib.Path(root) / "reports"
    paths = [*sorted(reports.glob("*/metrics.json")), *sorted(reports.glob("*/*/metrics.json"))]
    rows = [report_row(path, reports, root) for path in paths]
    published = {path.parent.name for path in reports.glob("*/metrics.json")}
    for project in sorted(benchmarked_projects(pathlib.Path(root)) - published):
        cell = benchmark_cell(pathlib.Path(root), project)
        rows.append(f"| {project} (no published report yet) | — | — | — | {cell} |")
    return rows


def benchmarked_projects(root):
    """The projects with a benchmark file (`<project>.json` or `<project>_<variant>.json`)."""
    projects = [path.name for path in (root / "projects").glob("*") if path.is_dir()]
    stems = [path.stem for path in (root / "benchmarks" / "results").glob("*.json")]
    return {
        project
        for project in projects
        for stem in stems
        if stem == project or stem.startswith(f"{project}_")
    }


def report_row(path, reports, root):
    data = json.loads(path.read_text(encoding="utf-8"))
    row = index.index_row(path, reports)
    source = (data.get("metadata") or {}).get("data_source") or {}
    data_name = loaders.TITLES.get(source.get("dataset"), source.get("dataset") or "data")
    if data.get("is_sample"):
        data_name += " (bundled sample)"
    project = str(data.get("project") or path.parent.name)
    nested = path.parent.parent != reports
    benchmark = "—" if nested else benchmark_cell(pathlib.Path(root), project)
    link = f"[{row['project']}]({path.parent.relative_to(root).as_posix()}/index.html)"
    return (
        f"| {link} | {row['headline_name']} **{row['headline_value']}** | {row['preset']}, "
        f"{data_name} | `{row['commit']}` | {benchmark} |"
    )


def benchmark_cell(root, project):
    """Every entry of the project's benchmark files: name and score, then the file (a file
    without a `results` list, such as the captioning shapes set's, is one entry: ours)."""
    cells = []
    for path in sorted((root / "benchmarks" / "results").glob(f"{project}*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = []
        for result in data.get("results", [{**data, "name": "ours"}]):
            scores = {**(result.get("beam") or {}), **result}  # Captions: the beam's scores.
            key = next((key for key in BENCHMARK_SCORES if key in scores), None)
            if key is not None:
                entries.append(f"{result['name']}: {key} {format_score(key, scores[key])}")
        if entries:
            cells.append("; ".join(entries) + f" (`{path.relative_to(root).as_posix()}`)")
    return "<br>".join(cells) or "—"


def format_score(key, value):
    if key == "exact_beam":
        return f"{value:.1%} of captions exactly right"
    if key.endswith("psnr"):
        return f"{value:.2f} dB"
    return f"{value:.1f}" if key.startswith("bleu") else f"{value:.4f}"


def table(root):
    return "\n".join([HEADER, *report_rows(root)])


def rewrite(readme_text, new_table):
    """`readme_text` with the lines between the markers replaced by `new_table`."""
    if readme_text.count(START) != 1 or readme_text.count(END) != 1:
        raise ValueError(f"README must hold each results-table marker once: {START!r} and {END!r}.")
    head, rest = readme_text.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{new_table}\n{END}{tail}"


def update_readme(root="."):
    """Rewrites README.md's table from the files; returns True if the README changed."""
    path = pathlib.Path(root) / "README.md"
    old = path.read_text(encoding="utf-8")
    new = rewrite(old, table(root))
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
