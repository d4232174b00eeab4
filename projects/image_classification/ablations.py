"""The ablation tables: each row is the small base CNN's config with one field changed.

Every ablation row starts from one small plain CNN (`base_config`) and changes one field, so
each difference in a table has a single cause. All rows share one reduced budget, written into
their configs: `ablation_epochs` epochs on a seeded subset of `ablation_train_limit` training
images, each optimizer at its usual learning rate, no label smoothing.
"""

import dataclasses

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


def base_config(config):
    """The small plain CNN every ablation row starts from, on the ablations' shared budget:
    batch norm, dropout, Adam, no penalty, no augmentation."""
    return dataclasses.replace(
        config,
        architecture="plain",
        hidden_unit="relu",
        widths=tuple(config.ablation_widths),
        residual_blocks=(0,) * len(config.ablation_widths),
        dense_units=config.ablation_dense_units,
        dropout_rate=config.ablation_dropout_rate,
        penalty="none",
        penalty_weight=0.0,
        augment=False,
        optimizer="adam",
        learning_rate=config.ablation_learning_rate("adam"),
        label_smoothing=0.0,
        epochs=config.ablation_epochs,
        train_limit=config.ablation_train_limit,
    )


def optimizer_row(base, name):
    return dataclasses.replace(
        base, optimizer=name, learning_rate=base.ablation_learning_rate(name)
    )


def regularization_rows(base):
    """Each regularizer alone on a bare model (no batch norm, dropout, penalty, augmentation)."""
    bare = dataclasses.replace(base, batch_norm=False, dropout_rate=0.0)
    change = dataclasses.replace
    weight = base.ablation_penalty_weight
    configs = {
        "none": bare,
        "l2": change(bare, penalty="l2", penalty_weight=weight),
        "l1": change(bare, penalty="l1", penalty_weight=weight),
        "dropout": change(bare, dropout_rate=base.ablation_dropout_rate),
        "augmentation": change(bare, augment=True),
        "batch_norm": change(bare, batch_norm=True),
    }
    return [(REGULARIZER_LABELS[name], configs[name]) for name in base.regularizers]


def architecture_rows(base):
    """Plain vs residual at equal depth, padding, pooling, and conv vs tiled vs dense."""
    change = dataclasses.replace
    deeper = change(base, residual_blocks=(1,) * len(base.widths))
    one_stage = dict(widths=base.widths[:1], residual_blocks=(0,))
    return [
        ("plain, one extra conv pair per stage", deeper),
        ("residual, f(x) + x per stage", change(deeper, architecture="residual")),
        ("padding same (base)", base),
        ("padding valid", change(base, padding="valid")),
        ("max pooling (base)", base),
        ("strided convolution", change(base, downsample="strided")),
        ("one layer: convolution", change(base, layer="conv", **one_stage)),
        ("one layer: tiled convolution", change(base, layer="tiled", **one_stage)),
        ("one layer: dense", change(base, layer="dense", **one_stage)),
    ]


def ablation_rows(config):
    """{ablation: [(row label, model config), ...]} for the ablations named in the config."""
    base = base_config(config)
    change = dataclasses.replace
    rows = {
        "hidden_units": [(name, change(base, hidden_unit=name)) for name in config.hidden_units],
        "optimizers": [(name, optimizer_row(base, name)) for name in config.optimizers],
        "regularization": regularization_rows(base),
        "architecture": architecture_rows(base),
        "multitask": [
            ("single task (10 classes)", base),
            ("multi-task (10 classes + coarse group)", change(base, multitask=True)),
        ],
    }
    return {name: rows[name] for name in config.ablations}


def model_name(model_config, base):
    """A readable folder name: the fields in which the row differs from the base model."""
    changed = [
        f"{field.name}-{format_value(getattr(model_config, field.name))}"
        for field in dataclasses.fields(model_config)
        if getattr(model_config, field.name) != getattr(base, field.name)
        and field.name != "learning_rate"  # Follows the optimizer.
    ]
    return "ablation-" + ("_".join(changed) or "base")


def format_value(value):
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)
