"""What is trained: the headline model, then each ablation as rows that change one thing.

Every ablation row starts from one small plain CNN (`base_spec`) and changes one field of its
`Spec`, so each difference in a table has a single cause. A spec shared by several tables (the
base model is in most of them) is trained once. All ablation rows share one reduced budget:
`ablation_epochs` epochs on `ablation_train_limit` training images.
"""

import dataclasses
import hashlib
import json
import re

TITLES = {
    "hidden_units": "Hidden units: ReLU vs modulated ReLU vs maxout (6.3)",
    "optimizers": "Optimizers: SGD, momentum, AdaGrad, RMSProp, Adam (8.3-8.5)",
    "regularization": "Regularization: penalties, dropout, augmentation, batch norm (Ch. 7)",
    "architecture": "Architecture: residual, padding, pooling, parameter sharing (9.3-9.5)",
    "multitask": "Multi-task learning: a shared trunk with two heads (7.7)",
}
REGULARIZER_LABELS = {
    "none": "none",
    "l2": "L2 penalty",
    "l1": "L1 penalty",
    "dropout": "dropout",
    "augmentation": "data augmentation",
    "batch_norm": "batch normalization",
}


@dataclasses.dataclass(frozen=True)
class Spec:
    """Everything that makes one model different from another (the rest comes from Config)."""

    architecture: str = "plain"  # "plain" | "residual"
    hidden_unit: str = "relu"
    widths: tuple = (32, 64)
    residual_blocks: tuple = (0, 0)  # Extra blocks per stage: f(x) + x, or plain at equal depth.
    dense_units: int = 128
    # "stages": the CNN; "conv" | "tiled" | "dense": one feature layer, the sharing comparison.
    layer: str = "stages"
    padding: str = "same"
    downsample: str = "max_pool"  # Or "strided": a stride-2 convolution instead (9.3).
    batch_norm: bool = True
    dropout_rate: float = 0.0
    penalty: str = "none"  # "none" | "l2" | "l1" on every kernel.
    penalty_weight: float = 0.0
    augment: bool = False
    optimizer: str = "adam"
    multitask: bool = False
    headline: bool = False  # The headline trains on the whole budget, ablations on the reduced.

    @property
    def name(self):
        """A readable, unique folder name: the fields that differ from the defaults, and a hash."""
        values = dataclasses.asdict(self)
        digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:6]
        if self.headline:
            return f"headline-{digest}"
        default = dataclasses.asdict(Spec())
        changed = "-".join(
            "x".join(map(str, value)) if isinstance(value, tuple) else str(value)
            for key, value in values.items()
            if value != default[key]
        )
        short = re.sub(r"[^A-Za-z0-9_.-]+", "", changed)[:40] or "base"
        return f"{short}-{digest}"


def headline_spec(config):
    """The model the `full` preset is tuned for (config: architecture, widths, unit, optimizer)."""
    return Spec(
        architecture=config.architecture,
        hidden_unit=config.hidden_unit,
        widths=tuple(config.widths),
        residual_blocks=tuple(config.residual_blocks),
        dense_units=config.dense_units,
        dropout_rate=config.dropout_rate,
        penalty="l2" if config.weight_decay > 0 else "none",
        penalty_weight=config.weight_decay,
        augment=config.augment,
        optimizer=config.optimizer,
        headline=True,
    )


def base_spec(config):
    """The small plain CNN every ablation row starts from: batch norm, dropout, Adam."""
    return Spec(
        widths=tuple(config.ablation_widths),
        residual_blocks=(0,) * len(config.ablation_widths),
        dense_units=config.ablation_dense_units,
        dropout_rate=0.3,
    )


def regularization_rows(config, base):
    """Each regularizer alone on a bare model (no batch norm, dropout, penalty, augmentation)."""
    bare = dataclasses.replace(base, batch_norm=False, dropout_rate=0.0)
    change = dataclasses.replace
    specs = {
        "none": bare,
        "l2": change(bare, penalty="l2", penalty_weight=config.penalty),
        "l1": change(bare, penalty="l1", penalty_weight=config.penalty),
        "dropout": change(bare, dropout_rate=0.3),
        "augmentation": change(bare, augment=True),
        "batch_norm": change(bare, batch_norm=True),
    }
    return [(REGULARIZER_LABELS[name], specs[name]) for name in config.regularizers]


def architecture_rows(base):
    """Plain vs residual at equal depth, padding, pooling, and conv vs tiled vs dense."""
    change = dataclasses.replace
    deeper = change(base, residual_blocks=(1,) * len(base.widths))
    return [
        ("plain, one extra conv pair per stage", deeper),
        ("residual, f(x) + x per stage", change(deeper, architecture="residual")),
        ("padding same (base)", base),
        ("padding valid", change(base, padding="valid")),
        ("max pooling (base)", base),
        ("strided convolution", change(base, downsample="strided")),
        ("one layer: convolution", change(base, layer="conv", widths=base.widths[:1])),
        ("one layer: tiled convolution", change(base, layer="tiled", widths=base.widths[:1])),
        ("one layer: dense", change(base, layer="dense", widths=base.widths[:1])),
    ]


def ablation_rows(config):
    """{ablation: [(row label, Spec), ...]} for the ablations named in the config."""
    base = base_spec(config)
    change = dataclasses.replace
    rows = {
        "hidden_units": [(name, change(base, hidden_unit=name)) for name in config.hidden_units],
        "optimizers": [(name, change(base, optimizer=name)) for name in config.optimizers],
        "regularization": regularization_rows(config, base),
        "architecture": architecture_rows(base),
        "multitask": [
            ("single task (10 classes)", base),
            ("multi-task (10 classes + coarse group)", change(base, multitask=True)),
        ],
    }
    return {name: rows[name] for name in config.ablations}


def training_plan(config):
    """Every distinct spec to train, by name: the headline first, then the ablations' rows."""
    headline = headline_spec(config)
    plan = {headline.name: headline}
    for rows in ablation_rows(config).values():
        for _, spec in rows:
            plan.setdefault(spec.name, spec)
    return plan
