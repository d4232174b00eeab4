"""Configs are frozen dataclasses with named presets; this module applies presets and overrides.

A project's `Config` lists every knob with its default and a comment, and a class attribute
`PRESETS = {"smoke": {...}, "quick": {...}, "full": {...}}` names the changes each preset makes.
Command-line overrides (`--set learning_rate=0.01`) are parsed by the field's declared type, so a
typo or a wrong value fails with a message that names the field and what it accepts.
"""

import dataclasses
import hashlib
import json
import types
import typing

PRESET_NAMES = ("smoke", "quick", "full")


def from_preset(config_class, preset, **overrides):
    """Returns `config_class` with the named preset applied, then `overrides` (already typed)."""
    presets = getattr(config_class, "PRESETS", {})
    if preset not in presets:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {sorted(presets)}.")
    return replace(config_class(), **{**presets[preset], **overrides})


def replace(config, **changes):
    """`dataclasses.replace` with a clear error for a field the config does not have."""
    names = {field.name for field in dataclasses.fields(config)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise ValueError(f"Unknown config field(s) {unknown}; known fields: {sorted(names)}.")
    return dataclasses.replace(config, **changes)


def parse_overrides(config_class, assignments):
    """Parses `["epochs=3", "hidden_units=relu,maxout"]` into typed values by the field types."""
    hints = typing.get_type_hints(config_class)
    changes = {}
    for assignment in assignments:
        name, separator, text = assignment.partition("=")
        name = name.strip()
        if not separator or not name:
            raise ValueError(f"Expected KEY=VALUE, got {assignment!r}.")
        if name not in hints or name == "PRESETS":
            known = sorted(field.name for field in dataclasses.fields(config_class))
            raise ValueError(f"Unknown config field {name!r}; known fields: {known}.")
        changes[name] = parse_value(name, text.strip(), hints[name])
    return changes


def parse_value(name, text, annotation):
    """Converts `text` to `annotation` (bool, int, float, str, tuples, `X | None`)."""
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if text.lower() in ("none", "null", ""):
            if type(None) in arguments:
                return None
        inner = [argument for argument in arguments if argument is not type(None)]
        return parse_value(name, text, inner[0])
    if origin is tuple:
        item_type = arguments[0] if arguments else str
        items = [item.strip() for item in text.split(",") if item.strip()]
        return tuple(parse_value(name, item, item_type) for item in items)
    try:
        if annotation is bool:
            return _parse_bool(text)
        return annotation(text)
    except ValueError:
        kind = getattr(annotation, "__name__", str(annotation))
        raise ValueError(f"Config field {name!r} expects {kind}; got {text!r}.") from None


def _parse_bool(text):
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def to_dict(config):
    """The config as a JSON-friendly dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def fingerprint(config, ignore=()):
    """A short hash of the config's values: two runs with the same fingerprint train the same."""
    values = {key: value for key, value in to_dict(config).items() if key not in ignore}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:10]


def describe_fields(config_class):
    """Lines `name = default  (type)` for `--help`."""
    lines = []
    for field in dataclasses.fields(config_class):
        default = field.default if field.default is not dataclasses.MISSING else None
        type_name = getattr(field.type, "__name__", str(field.type)).replace("typing.", "")
        lines.append(f"  {field.name} = {default!r}  ({type_name})")
    return lines


def check_at_least(config, minimum, names):
    """Raises ValueError naming the first field of `names` below `minimum`."""
    for name in names:
        value = getattr(config, name)
        if value < minimum:
            raise ValueError(f"{name} must be at least {minimum}. Received: {name}={value}")


def check_range(config, name, low, high, *, include_low=True, include_high=False):
    """Raises ValueError unless `low <= value < high` (the bounds' inclusion is adjustable)."""
    value = getattr(config, name)
    above = value >= low if include_low else value > low
    below = value <= high if include_high else value < high
    if not (above and below):
        interval = f"{'[' if include_low else '('}{low}, {high}{']' if include_high else ')'}"
        raise ValueError(f"{name} must be in {interval}. Received: {name}={value}")


def check_names(field, chosen, known):
    """Raises ValueError listing the names of `chosen` that are not in `known`."""
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise ValueError(f"{field} must be among {known}. Received: {unknown}")
