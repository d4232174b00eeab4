"""Small pieces behind `common.report`: figures, images, tables and text made safe for HTML.

Nothing here builds HTML by hand. Each helper returns plain Python values (strings, numbers,
lists) that the Jinja2 templates in `common/templates` render with autoescaping switched on, so a
movie review that contains `<script>` is shown as text, never run. Images travel inside the page
as PNG data URIs, so a report is one file that opens anywhere, offline.
"""

import base64
import dataclasses
import io
import json
import math
import os
import pathlib
import re
import shutil
import tempfile
import time

import jinja2
import numpy as np

TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"
PNG_PREFIX = "data:image/png;base64,"
# Friendlier shades for the colour names projects use to mark right and wrong predictions.
NAMED_COLORS = {"red": "#c62828", "green": "#2e7d32", "orange": "#ef6c00", "blue": "#1565c0"}
_COLOR_PATTERN = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20})$")


def environment():
    """The Jinja2 environment: templates from `common/templates`, every value HTML-escaped."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def paragraphs(text):
    """Splits plain text into paragraphs at blank lines (the template escapes each one)."""
    blocks = re.split(r"\n\s*\n", str(text or "").strip())
    return [" ".join(block.split()) for block in blocks if block.strip()]


def slug(title, taken):
    """A unique HTML id for a section title, e.g. "Learning curves" -> "learning-curves"."""
    base = re.sub(r"[^a-z0-9]+", "-", str(title).lower()).strip("-") or "section"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def figure_to_data_uri(figure, dpi=100):
    """Saves a matplotlib Figure as PNG into memory and returns it as a data URI."""
    if not hasattr(figure, "savefig"):
        raise TypeError(f"add_figure expects a matplotlib Figure, got {type(figure).__name__}.")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    return PNG_PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


def to_uint8_images(images):
    """Brings (N,H,W), (N,H,W,1) or (N,H,W,3) images, uint8 or float in [0, 1], to uint8."""
    array = np.asarray(images)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[-1] != 3):
        raise ValueError(f"Images must be (N,H,W), (N,H,W,1) or (N,H,W,3); got {array.shape}.")
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating):
        return np.round(np.clip(np.nan_to_num(array), 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.clip(array, 0, 255).astype(np.uint8)


def image_to_data_uri(image, min_size=84):
    """One uint8 image as a PNG data URI, enlarged by whole pixels (nearest neighbour)."""
    from PIL import Image  # Pillow comes with matplotlib.

    scale = max(1, math.ceil(min_size / max(1, min(image.shape[:2]))))
    enlarged = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(enlarged, mode="RGB" if enlarged.ndim == 3 else "L").save(buffer, "PNG")
    return PNG_PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


def css_color(name):
    """A label colour checked to be a plain name or a #hex value (no CSS can sneak in)."""
    if name is None or name == "":
        return None
    text = str(name).strip()
    if not _COLOR_PATTERN.match(text):
        raise ValueError(f"Label colour must be a colour name or #hex, got {name!r}.")
    return NAMED_COLORS.get(text.lower(), text)


def clip_text(text, max_chars):
    """Shortens long text to `max_chars` characters, ending with an ellipsis."""
    text = str(text)
    if max_chars and len(text) > max_chars:
        return text[: max_chars - 1].rstrip() + "…"
    return text


def highlighted_tokens(tokens, weights):
    """Pairs each token with an opacity in [0, 1]: its weight divided by the largest weight."""
    if len(tokens) != len(weights):
        raise ValueError(f"{len(tokens)} tokens but {len(weights)} weights.")
    values = [float(w) for w in np.asarray(weights, dtype=float).ravel()]
    values = [w if math.isfinite(w) else 0.0 for w in values]
    largest = max(values, default=0.0)
    return [
        {
            "token": str(token),
            "alpha": round(max(0.0, w / largest), 3) if largest > 0 else 0.0,
            "weight": f"weight {w:.4f}",
        }
        for token, w in zip(tokens, values, strict=True)
    ]


def format_cell(value, float_format="{:.4f}"):
    """Formats one table cell: floats by `float_format`, ints as 12,345, None as an em dash."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return float_format.format(value) if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(format_cell(item, float_format) for item in value)
    return str(value)


def is_number(value):
    """True for ints and floats (not bools): such cells are right-aligned."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def flatten(mapping, prefix=""):
    """Flattens nested dicts into (dotted key, value) rows for a two-column table."""
    rows = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(flatten(value, prefix=f"{name}."))
        else:
            rows.append((name, value))
    return rows


def to_jsonable(value):
    """Converts numpy scalars and arrays, tuples, paths and dataclasses to plain JSON values.

    Not-a-number and infinities become None, so the files are strict JSON any tool can read.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and value.dtype.itemsize < 8:
            return [to_jsonable(item) for item in value]  # float32 elements, see below
        return to_jsonable(value.tolist())
    if isinstance(value, np.floating) and value.dtype.itemsize < 8:
        return to_jsonable(float(str(value)))  # float32(0.87) -> 0.87, not 0.8700000047683716
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, pathlib.PurePath):
        return str(value)
    return str(value)


def dump_json(value):
    """Pretty, strict JSON text for `value` (see `to_jsonable`)."""
    return json.dumps(to_jsonable(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_file(path, content):
    """Writes text (UTF-8) or bytes to `path`."""
    if isinstance(content, bytes):
        pathlib.Path(path).write_bytes(content)
    else:
        pathlib.Path(path).write_text(content, encoding="utf-8", newline="")


def write_text_atomically(path, text):
    """Writes a single file through a temporary sibling and `os.replace` (all or nothing)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write_file(temporary, text)
        os.chmod(temporary, 0o644)  # mkstemp makes a private file; a report is meant to be read
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise


def write_folder_atomically(folder, files):
    """Replaces `folder` with one holding `files` ({name: text or bytes}), all or nothing.

    The files go into a temporary sibling folder first; only when all are written does a pair of
    renames swap it in (old folder aside, new folder in place, old folder deleted). If anything
    fails, the previous folder is left as it was and the temporary folder is removed.
    """
    folder = pathlib.Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder)
    staging = pathlib.Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.tmp-"))
    staging.chmod(0o755)  # mkdtemp makes a private folder; a report is meant to be read
    aside = staging.with_name(staging.name.replace(".tmp-", ".old-"))
    try:
        for name, content in files.items():
            write_file(staging / name, content)
        if folder.exists():
            os.rename(folder, aside)
        try:
            os.rename(staging, folder)
        except BaseException:
            if aside.exists() and not folder.exists():
                os.rename(aside, folder)  # put the previous report back
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if folder.exists():  # never delete the old report unless the new one is in place
            shutil.rmtree(aside, ignore_errors=True)
    return folder


def _remove_stale(folder, older_than_seconds=3600):
    """Deletes temporary folders that a killed process left behind next to `folder`."""
    for pattern in (f".{folder.name}.tmp-*", f".{folder.name}.old-*"):
        for leftover in folder.parent.glob(pattern):
            try:
                if time.time() - leftover.stat().st_mtime > older_than_seconds:
                    shutil.rmtree(leftover, ignore_errors=True)
            except OSError:
                pass
