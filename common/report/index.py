"""A front page for a folder of reports: `reports/index.html` lists the published report of every
project; `runs/reports/index.html` the reports of your own runs (the demo's among them)."""

import datetime
import json
import math
import pathlib
import urllib.parse

from common.report import parts

HOW_TO_MAKE_ONE = "make demo   (or: python -m projects all --preset quick)"


def write_index(reports_root) -> pathlib.Path:
    """Scans `reports_root/*/metrics.json` and writes `reports_root/index.html` atomically.

    Reports one folder deeper (`reports_root/<set>/<project>/`, e.g. a run on another data set
    written with `--out reports/cifar10`) are listed too, after the top-level ones.

    A folder whose metrics.json is unreadable or malformed is listed under "Skipped" with the
    reason, so one broken project never hides the others.
    """
    root = pathlib.Path(reports_root)
    root.mkdir(parents=True, exist_ok=True)
    rows, skipped = [], []
    for path in [*sorted(root.glob("*/metrics.json")), *sorted(root.glob("*/*/metrics.json"))]:
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue  # A killed write's staging or set-aside folder, never a finished report.
        try:
            rows.append(index_row(path, root))
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            folder = path.parent.relative_to(root).as_posix()
            skipped.append({"folder": folder, "reason": f"{type(error).__name__}: {error}"})
    html = (
        parts.environment()
        .get_template("index.html.j2")
        .render(
            rows=rows,
            skipped=skipped,
            how_to=HOW_TO_MAKE_ONE,
            generated=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )
    target = root / "index.html"
    parts.write_text_atomically(target, html)
    return target


def index_row(path, root=None):
    """One project's line on the front page, read from its metrics.json (under `root`)."""
    data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("metrics.json does not hold a JSON object")
    metadata = data.get("metadata") or {}
    headline = data.get("headline") or {}
    git = metadata.get("git") or {}
    folder = pathlib.Path(path).parent
    folder = folder.relative_to(root) if root is not None else pathlib.Path(folder.name)
    project = str(data.get("project") or folder.name)
    if len(folder.parts) > 1:  # A report under a sub-root, e.g. cifar10/image_classification.
        project += f" ({'/'.join(folder.parts[:-1])})"
    commit = git.get("commit")
    return {
        "project": project,
        "href": urllib.parse.quote(folder.as_posix()) + "/index.html",
        "title": str(data.get("title") or ""),
        "headline_name": str(headline.get("name") or "—"),
        "headline_value": headline.get("display") or _format_value(headline.get("value")),
        "preset": str(metadata.get("preset") or "—"),
        "is_sample": bool(data.get("is_sample")),
        "date": _format_date(metadata.get("timestamp_utc")),
        "wall_time": format_duration(metadata.get("wall_time_seconds")),
        "commit": short_commit(git) if commit else "—",
    }


def short_commit(git):
    """ "1a2b3c4d" (with "+dirty" for uncommitted changes) from `meta.git_info`'s record."""
    if not git or not git.get("commit"):
        return "unknown"
    return git["commit"][:8] + ("+dirty" if git.get("dirty") else "")


def format_duration(seconds):
    """Seconds as "42 s", "3 min 5 s" or "1 h 2 min"."""
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _format_value(value):
    if isinstance(value, float):
        return f"{value:.4f}"
    return "—" if value is None else str(value)


def _format_date(timestamp):
    try:
        moment = datetime.datetime.fromisoformat(str(timestamp))
    except ValueError:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M")
