"""Configs are frozen dataclasses with named presets; this module applies presets and overrides.

A project's `Config` extends `BaseConfig` (the fields every project has: data, seed, epochs,
batch size, learning rate, patience) with every knob of its own, each with its default and a
comment, and a class attribute `PRESETS = {"smoke": {...}, "quick": {...}, "full": {...}}` names
the changes each preset makes. A model of an ablation is the run's config with some fields
changed (`replace`), so one description covers every model. Command-line overrides (`--set
learning_rate=0.01`) are parsed by the field's declared type, so a typo or a wrong value fails
with a message that names the field and what it accepts.
"""

import dataclasses
import hashlib
import json
import types
import typing

PRESET_NAMES = ("smoke", "quick", "full")


@dataclasses.dataclass(frozen=True)
class BaseConfig:
    """The fields every project's config has; a project redeclares one to change its default."""

    # Data.
    data_dir: str | None = None  # Folder with the data (else $DLFB_DATA_DIR, system, download).
    allow_sample_data: bool = False  # Fall back to the bundled sample when no data is found.
    train_limit: int | None = None  # Use only this many training examples (None: all).
    validation_fraction: float = 0.1  # Carved from the training set; the test set is used once.

    # Training.
    seed: int = 0  # Seeds every random source: Python, NumPy, TensorFlow, the data order.
    epochs: int = 10  # Upper bound: early stopping may end training sooner.
    batch_size: int = 128
    learning_rate: float = 1e-3  # The peak rate of the learning-rate schedule.
    patience: int = 3  # Epochs without a better validation loss before stopping.

    PRESETS: typing.ClassVar[dict] = {"smoke": {}, "quick": {}, "full": {}}

    def __post_init__(self):
        check_range(self, "validation_fraction", 0.0, 1.0, include_low=False)
        check_at_least(self, 0, ("seed",))
        check_at_least(self, 1, ("epochs", "batch_size", "patience"))
        if not self.learning_rate > 0:
            raise ValueError(
                f"learning_rate must be positive. Received: learning_rate={self.learning_rate}"
            )
        if self.train_limit is not None:
            check_at_least(self, 20, ("train_limit",))


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


def from_dict(config_class, values):
    """The config saved by `to_dict` (a run's config.json), with lists back as tuples; fields
    the class no longer has are dropped and new ones keep their defaults."""
    hints = typing.get_type_hints(config_class)
    known = {field.name for field in dataclasses.fields(config_class)}
    changes = {}
    for name, value in values.items():
        if name in known:
            changes[name] = _from_json(value, hints[name])
    return config_class(**changes)


def _from_json(value, annotation):
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType) and value is not None:
        inner = [argument for argument in arguments if argument is not type(None)]
        return _from_json(value, inner[0])
    if origin is tuple and isinstance(value, list):
        item_type = arguments[0] if arguments else None
        return tuple(_from_json(item, item_type) for item in value)
    return value


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
