"""How the captioners are trained: which models (the plan), then compile and fit, as in a
keras-io example.

The recipe, top to bottom: Adam with a short linear warm-up and a cosine decay to zero (book
Section 8.3.1), gradients clipped by their global norm (10.11.1), the cross-entropy of the next
word with padding ignored (teacher forcing, 10.2.1), a masked accuracy; `fit` with early
stopping on the validation loss (7.8), the curriculum callback when captions come shortest
first (8.7.6), and the callbacks that make a long run safe to interrupt.
"""

import dataclasses

import keras

from common.experiment import distributed, skeleton, training
from common.nn import recorder, resumable, schedules
from projects.image_captioning import model as model_lib
from projects.image_captioning import predict

ROWS = {
    "attention": ("attention over the grid", {"attention": False}, "last state only"),
    "cell": ("LSTM", {"cell": "gru"}, "GRU"),
    "dropout": (
        "dropout on the cell input",
        {"dropout_placement": "recurrent"},
        "dropout on the recurrent state",
    ),  # fmt: skip
    "curriculum": ("random order", {"order": "curriculum"}, "curriculum (short captions first)"),
    "encoder": ("pretrained EfficientNet-Lite0", {"encoder": "small"}, "small CNN, end to end"),
    "length_head": ("no length head", {"length_head": True}, "with a length head"),
}


def plan(config):
    """The headline on the whole budget, then each ablation: the headline's config with one
    change, against the headline's config on the same smaller budget (`ablation_epochs`,
    `ablation_train_limit` images)."""
    models = {"headline": config}
    base = dataclasses.replace(
        config, epochs=config.ablation_epochs, train_limit=config.ablation_train_limit
    )
    tables = {}
    for ablation in config.ablations:
        label, change, changed_label = ROWS[ablation]
        if replace(base, **change) == base or (
            ablation == "encoder" and config.dataset == "shapes"
        ):
            continue  # Nothing changes (or, on the shapes set, the pretrained grid is 2x2).
        rows = []
        for row_label, row_config in ((label, base), (changed_label, replace(base, **change))):
            name = "ablation-base" if row_config == base else f"{ablation}-changed"
            models.setdefault(name, row_config)
            rows.append((row_label, name))
        tables[ablation] = rows
    return skeleton.Plan(models=models, tables=tables, headline="headline")


def replace(config, **change):
    return dataclasses.replace(config, **change)


def compile_model(model, config, datasets, learning_rate=None):
    """Adam (warm-up, cosine decay, global-norm clipping), next-word cross-entropy with padding
    (id 0) ignored, and the masked next-word accuracy. `learning_rate`, when given, replaces the
    schedule over `config.epochs` (e.g. a constant rate that a callback such as
    `common.nn.schedules.WallClockDecay` anneals over a time budget instead)."""
    schedule = learning_rate
    if schedule is None:
        schedule = schedules.learning_rate_schedule(
            config.learning_rate,
            config.epochs * datasets.steps_per_epoch(config),
            decay="cosine",
            warmup_fraction=config.warmup_fraction,
        )
    losses = {"next_word": keras.losses.SparseCategoricalCrossentropy(ignore_class=0)}
    metrics = {"next_word": [model_lib.MaskedAccuracy(name="accuracy")]}
    weights = {"next_word": 1.0}
    if config.length_head:
        losses["remaining"] = model_lib.masked_squared_error
        weights["remaining"] = config.length_weight
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, global_clipnorm=config.clipnorm),
        loss=losses,
        loss_weights=weights,
        metrics=metrics,
    )


def train_model(config, datasets, run):
    """Builds, compiles and fits one captioner of the plan; returns it with its best weights."""
    scheduler = datasets.curriculum(config) if config.order == "curriculum" else None
    train_data = datasets.train(config, scheduler)
    validation_data = datasets.validation(config)
    model = model_lib.build_model(config)
    compile_model(model, config, datasets)
    distributed.fit(  # model.fit, also on a cluster (--strategy multi_worker).
        model,
        train_data,
        validation_data=validation_data,
        epochs=config.epochs,
        callbacks=[
            keras.callbacks.BackupAndRestore(run.backup_dir),  # An interrupted fit resumes.
            resumable.ResumableEarlyStopping(run.early_stopping_path, patience=config.patience),
            recorder.TrainingRecorder(run.history_path),  # Per-epoch history for the report.
            keras.callbacks.TensorBoard(run.tensorboard_dir, write_graph=False),
            *([scheduler] if scheduler is not None else []),  # Admits longer captions per epoch.
            # Last: it keeps the random state after every callback drew from it.
            resumable.ResumableRandomness(run.random_state_path, train_data),
        ],
        verbose=training.VERBOSE,
    )
    predict.save_vocabulary(run.folder, datasets.vocabulary)  # Ids back to words, for `predict`.
    if scheduler is not None:
        run.notes["curriculum"] = {
            "fractions": scheduler.fractions,
            "examples_seen": scheduler.examples_seen,
        }
    return model
