"""One HTML report per project, written the same way for every project of the collection.

A project's `report.py` turns saved results into a `Report` (banners, key metrics, sections
with text, figures, tables, image grids and text samples); `write` renders the Jinja2 templates
in `common/report/templates` into one self-contained `index.html` (figures are PNG data URIs,
the style sheet is inline) next to `metrics.json`, `arrays.npz`, `config.json` and
`history.csv`. Every piece of text is HTML-escaped by the template engine, so untrusted data
(movie reviews, captions) stays text. Each figure and table names the function that computed
its numbers and the one that drew it, as a path a learner can open.

    report = Report("cnn", "Image classification with a CNN", summary="...")
    report.add_metric("test accuracy", 0.91, headline=True)
    report.add_section("Learning curves")
    report.add_figure(
        plots.learning_curves(history), caption="Loss and accuracy per epoch.",
        computed_by=recorder.TrainingRecorder, drawn_by=plots.learning_curves,
    )
    report.write("runs/reports/cnn", results=results_json, arrays=npz_bytes, history=history)
"""

import csv
import inspect
import io
import pathlib

import numpy as np

from common.report import index, parts

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]

BANNER_KINDS = ("info", "warning")


class Report:
    """Collects the pieces of one project's report, then writes them atomically."""

    def __init__(self, project: str, title: str, summary: str = ""):
        self.project = str(project)
        self.title = str(title)
        self.summary = parts.paragraphs(summary)
        self.banners = []
        self.cards = []
        self.headline = None
        self.sections = [{"title": None, "id": None, "items": []}]  # text before any add_section
        self._ids = set()
        self._figures = 0

    def add_banner(self, text: str, kind: str = "warning") -> None:
        """A notice shown above everything, e.g. "Trained on the bundled SAMPLE data"."""
        if kind not in BANNER_KINDS:
            raise ValueError(f"Banner kind must be one of {BANNER_KINDS}, got {kind!r}.")
        self.banners.append({"text": str(text), "kind": kind})

    def add_metric(self, name: str, value, fmt: str = "{:.4f}", headline: bool = False) -> None:
        """A key number shown as a card; `headline=True` picks the one for reports/index.html."""
        try:
            display = "—" if value is None else fmt.format(value)
        except (ValueError, TypeError):
            display = str(value)
        card = {"name": str(name), "value": parts.to_jsonable(value), "display": display}
        self.cards = [c for c in self.cards if c["name"] != card["name"]] + [card]
        if headline:
            self.headline = card["name"]

    def add_section(self, title: str, text: str = "") -> None:
        """Starts a new section (a heading, with an entry in the contents list)."""
        self.sections.append({"title": str(title), "id": parts.slug(title, self._ids), "items": []})
        if text:
            self.add_text(text)

    def add_text(self, text: str) -> None:
        """Plain-text paragraphs (separated by blank lines) into the current section."""
        self._add({"kind": "text", "paragraphs": parts.paragraphs(text)})

    def add_figure(self, figure, caption: str = "", computed_by=None, drawn_by=None) -> None:
        """A matplotlib Figure, embedded as a PNG data URI; the figure is closed afterwards.

        `computed_by` and `drawn_by` are the functions (or classes) that computed the numbers
        and drew the figure; the page names them under the caption.
        """
        import matplotlib.pyplot as plt

        try:
            src = parts.figure_to_data_uri(figure)
        finally:
            if hasattr(figure, "savefig"):
                plt.close(figure)
        self._add(
            {
                "kind": "figure",
                "src": src,
                "caption": str(caption),
                "number": self._next(),
                "sources": sources(computed_by, drawn_by),
            }
        )

    def add_table(
        self,
        columns: list[str],
        rows: list[list],
        caption: str = "",
        float_format="{:.4f}",
        computed_by=None,
    ) -> None:
        """A table; floats use `float_format`, ints get thousands separators, None shows "—".
        `computed_by` names the function that computed its numbers."""
        cells = []
        for row in rows:
            row = list(row)
            if len(row) != len(columns):
                raise ValueError(f"Row {row!r} has {len(row)} cells for {len(columns)} columns.")
            cells.append(
                [
                    {"text": parts.format_cell(v, float_format), "num": parts.is_number(v)}
                    for v in row
                ]
            )
        self._add(
            {
                "kind": "table",
                "columns": [str(c) for c in columns],
                "rows": cells,
                "caption": str(caption),
                "sources": sources(computed_by, None),
            }
        )

    def add_image_grid(
        self,
        images,
        labels: list[str],
        caption: str = "",
        columns: int = 8,
        label_colors=None,
        computed_by=None,
    ) -> None:
        """Small images in a grid, each with its label under it (coloured, e.g. red if wrong)."""
        pixels = parts.to_uint8_images(images)
        labels = [str(label) for label in labels]
        colors = list(label_colors) if label_colors is not None else [None] * len(labels)
        if not len(pixels) == len(labels) == len(colors):
            raise ValueError(
                f"{len(pixels)} images, {len(labels)} labels, {len(colors)} label colours."
            )
        cells = [
            {"src": parts.image_to_data_uri(image), "label": label, "color": parts.css_color(c)}
            for image, label, c in zip(pixels, labels, colors, strict=True)
        ]
        height, width = pixels.shape[1:3] if len(pixels) else (28, 28)
        scale = max(1, -(-84 // max(1, min(height, width))))
        self._add(
            {
                "kind": "images",
                "cells": cells,
                "caption": str(caption),
                "number": self._next(),
                "columns": max(1, int(columns)),
                "width": min(int(width * scale), 180),
                "sources": sources(computed_by, None),
            }
        )

    def add_text_samples(
        self, samples: list[dict], caption: str = "", max_chars=600, computed_by=None
    ) -> None:
        """Text examples; with "tokens" and "weights" each token is shaded by its weight."""
        rendered = []
        for sample in samples:
            tokens, weights = sample.get("tokens"), sample.get("weights")
            highlighted = None
            if tokens is not None and weights is not None:
                highlighted = parts.highlighted_tokens(list(tokens), list(np.ravel(weights)))
            rendered.append(
                {
                    "label": str(sample["label"]) if sample.get("label") is not None else "",
                    "text": parts.clip_text(sample.get("text", ""), max_chars),
                    "tokens": highlighted,
                }
            )
        self._add(
            {
                "kind": "samples",
                "samples": rendered,
                "caption": str(caption),
                "sources": sources(computed_by, None),
            }
        )

    def render(self, *, config: dict, metadata: dict) -> str:
        """The full page as an HTML string (configuration and run metadata come last)."""
        meta = {k: v for k, v in parts.to_jsonable(metadata or {}).items() if k != "config"}
        taken, extra = set(self._ids), []
        for title, key_name, data in (
            ("Configuration", "Setting", parts.to_jsonable(config or {})),
            ("Run metadata", "Field", meta),
        ):
            table = _key_value_table(parts.flatten(data), key_name)
            extra.append({"title": title, "id": parts.slug(title, taken), "items": [table]})
        sections = [s for s in self.sections if s["title"] is not None or s["items"]] + extra
        return (
            parts.environment()
            .get_template("report.html.j2")
            .render(report=self, sections=sections, headline=self._headline_card())
        )

    def write(self, out_dir, *, results: dict, arrays: bytes = None, history=None):
        """Writes index.html, metrics.json, arrays.npz, config.json and history.csv into
        `out_dir`, atomically.

        `results` is the run's saved results (`Results.to_json()`: metrics, training records,
        plan, metadata with the config). Everything is rendered in memory, written to a
        temporary sibling folder and swapped in with renames: a failure on the way leaves the
        previous report exactly as it was. Returns the path of the new index.html.
        """
        out_dir = pathlib.Path(out_dir)
        headline = self._headline_card()
        metadata = results.get("metadata") or {}
        config = metadata.get("config") or {}
        summary = {
            "project": self.project,
            "title": self.title,
            "headline": headline and {k: headline[k] for k in ("name", "value", "display")},
            "is_sample": bool((metadata.get("data_source") or {}).get("is_sample", False)),
            **{key: value for key, value in results.items() if key != "project"},
        }
        files = {
            "index.html": self.render(config=config, metadata=metadata),
            "metrics.json": parts.dump_json(summary),
            "config.json": parts.dump_json(config),
        }
        if arrays is not None:
            files["arrays.npz"] = arrays
        if history:
            files["history.csv"] = history_csv(history)
        parts.write_folder_atomically(out_dir, files)
        return out_dir / "index.html"

    def _headline_card(self):
        for card in self.cards:
            if card["name"] == self.headline:
                return card
        return self.cards[0] if self.cards else None  # no headline chosen: the first card

    def _add(self, item):
        self.sections[-1]["items"].append(item)

    def _next(self):
        self._figures += 1
        return self._figures


def add_run_banners(report, results):
    """Warns when the data was the bundled sample, says which models an earlier run trained and,
    for a page rebuilt from saved results, which code trained and which code drew it."""
    if results.is_sample:
        report.add_banner(
            "Trained on the bundled SAMPLE of the data set, not the full data: the numbers show "
            "each idea at work on a small set, not what the models reach on the real data. Point "
            "--data-dir at the data (README, 'Data')."
        )
    reused = [name for name, record in results.training.items() if record.get("resumed")]
    if reused:
        report.add_banner(
            f"Resumed run: {', '.join(reused)} came from an earlier, interrupted part of this "
            "command (same config); their wall times are those of the first run.",
            kind="info",
        )
    rebuilt = results.metadata.get("report_rebuilt")
    if rebuilt:
        drawn, trained = (index.short_commit(m.get("git")) for m in (rebuilt, results.metadata))
        report.add_banner(
            f"This page was rebuilt by python -m projects.{results.project} report "
            f"({rebuilt.get('timestamp_utc')}, code at commit {drawn}) from the saved results of "
            f"the run at commit {trained}: the numbers are that run's, the text and figures "
            "today's code.",
            kind="info",
        )


def sources(computed_by, drawn_by):
    """["computed by projects/x/evaluate.py:f", "drawn by common/report/plots.py:g"] for the
    functions given (None: left out)."""
    named = []
    for verb, function in (("computed by", computed_by), ("drawn by", drawn_by)):
        if function is not None:
            named.append(f"{verb} {where(function)}")
    return named


def where(function):
    """A function's place as `path/relative/to/repo.py:qualified_name`, e.g.
    `projects/adversarial_regularization/evaluate.py:input_gradient_norm`."""
    try:
        path = pathlib.Path(inspect.getsourcefile(function)).resolve()
        path = path.relative_to(REPOSITORY).as_posix()
    except (TypeError, ValueError):
        path = getattr(function, "__module__", "?").replace(".", "/") + ".py"
    return f"{path}:{getattr(function, '__qualname__', getattr(function, '__name__', '?'))}"


def history_csv(history: dict) -> str:
    """Per-epoch history as CSV: `epoch` (from 1), then one column per key; short ones padded."""
    columns = {str(k): [_plain(v) for v in np.ravel(vs)] for k, vs in history.items()}
    epochs = max((len(values) for values in columns.values()), default=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", *columns])
    for epoch in range(epochs):
        cells = [vs[epoch] if epoch < len(vs) else None for vs in columns.values()]
        writer.writerow([epoch + 1, *("" if c is None else c for c in cells)])
    return buffer.getvalue()


def _plain(value):
    """A numpy scalar as the Python number it holds (floats keep full precision in CSV)."""
    return value.item() if isinstance(value, np.generic) else value


def _key_value_table(rows, key_name):
    """A two-column table (name, value) for the configuration and the run metadata."""
    cells = []
    for key, value in rows:
        if key == "wall_time_seconds" and isinstance(value, (int, float)):
            text = f"{value:.1f} s ({index.format_duration(value)})"
        elif isinstance(value, float):
            text = f"{value:.6g}"
        elif isinstance(value, int) and not isinstance(value, bool):
            text = str(value)
        else:
            text = parts.format_cell(value) if value != [] else "none"
        cells.append([{"text": key, "num": False, "key": True}, {"text": text, "num": False}])
    return {"kind": "table", "columns": [key_name, "Value"], "rows": cells, "caption": ""}
