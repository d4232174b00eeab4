"""How the sentiment models are trained: which models (the plan), then compile and fit, as in a
keras-io example.

The plan: the baselines, the headline model (the config's own fields), then ablations that
each change one field of one base model, a unidirectional LSTM that keeps its last state, so
every difference in a table has a single cause. A model shared by several tables (the base
model is in most of them) is trained once. The recipe, top to bottom: Adam with a cosine decay
of the learning rate to zero (book Section 8.3.1), optionally clipping the gradient's global
norm (10.11.1); binary cross-entropy and accuracy; `fit` with early stopping on the validation
loss (Section 7.8), a curriculum where the model's `order` asks for one (8.7.6), and the
callbacks that make a long run safe to interrupt.
"""

import dataclasses

import keras

from common.experiment import distributed, skeleton, training
from common.nn import gradients, recorder, resumable, schedules
from projects.sentiment_lstm import model as model_lib
from projects.sentiment_lstm import predict

DROPOUT_LABELS = {
    "none": "no dropout",
    "input_output": "input + output dropout",
    "recurrent": "recurrent-state dropout",
}


def plan(config):
    """The models by name, each the run's config with some fields changed, and the tables the
    report compares them in. No headline is named in advance: the model with the best
    validation accuracy is tested (evaluate.py), so no choice is made on test data."""
    baselines = [
        dataclasses.replace(
            config, variant=name, epochs=config.linear_epochs,
            learning_rate=config.linear_learning_rate, learning_rate_decay="constant",
        )
        for name in config.baselines
        if name != "majority"  # A rule, not a model: evaluate.py scores it.
    ]  # fmt: skip
    rows = ablation_rows(config)
    models = {model_lib.model_name(c): c for c in [*baselines, config]}
    for table in rows.values():
        for _, model_config in table:
            models.setdefault(model_lib.model_name(model_config), model_config)
    tables = {
        "baselines": [(name, name) for name in config.baselines],
        "headline": [("headline", model_lib.model_name(config))],
    }
    for table, table_rows in rows.items():
        tables[table] = [(label, model_lib.model_name(c)) for label, c in table_rows]
    return skeleton.Plan(models=models, tables=tables, headline=None)


def base_config(config):
    """The model every ablation starts from: an LSTM that keeps its last state."""
    return dataclasses.replace(
        config, encoder="lstm", pooling="last", max_length=config.ablation_max_length,
        embedding_dropout=0.0, ngram_path=False,
    )  # fmt: skip


def ablation_rows(config):
    """{ablation: [(row label, model config), ...]} for the ablations named in the config."""
    base = base_config(config)
    change = dataclasses.replace
    simple = change(base, encoder="simple_rnn")  # Also the cells table's SimpleRNN row.
    threshold = config.clipping_threshold
    rows = {
        "cells": [(name, change(base, encoder=name)) for name in config.ablation_encoders],
        "clipping": [
            ("no clipping", simple),
            (f"||g|| clipped at {threshold:g}", change(simple, global_clipnorm=threshold)),
        ],
        "dropout": [
            (DROPOUT_LABELS[placement], change(base, dropout_placement=placement))
            for placement in config.dropout_placements
        ],
        "attention": [
            ("last state", base),
            ("attention pooling", change(base, pooling="attention")),
        ],
        "curriculum": [
            ("random order", change(base, order="random")),
            ("curriculum (short first)", change(base, order="curriculum")),
        ],
        "length": [
            (f"{length} tokens", change(base, max_length=length))
            for length in config.length_choices
        ],
    }
    return {name: rows[name] for name in config.ablations}


def compile_model(model, config, datasets):
    """Adam (or SGD with momentum) along the config's schedule, with the gradient's global norm
    clipped when `global_clipnorm` is set; binary cross-entropy; accuracy.

    Keras' `global_clipnorm` rescales the whole gradient g to norm at most c (the book's
    clipping, Section 10.11.1), where `clipnorm` would clip each weight's gradient on its own.
    """
    schedule = schedules.learning_rate_schedule(
        config.learning_rate,
        config.epochs * datasets.steps_per_epoch(config),
        decay=config.learning_rate_decay,
    )
    if config.optimizer == "sgd":
        optimizer = keras.optimizers.SGD(
            schedule, momentum=0.9, global_clipnorm=config.global_clipnorm
        )
    else:
        optimizer = keras.optimizers.Adam(schedule, global_clipnorm=config.global_clipnorm)
    model.compile(
        optimizer=optimizer,
        loss="binary_crossentropy",
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )


def train_model(config, datasets, run):
    """Builds, compiles and fits one model of the plan; returns it with its best weights."""
    curriculum = datasets.curriculum(config)  # None unless the order is random or curriculum.
    train_data = datasets.train(config, curriculum)
    validation_data = datasets.validation(config)
    model = model_lib.build_model(config, datasets.train_texts)
    compile_model(model, config, datasets)
    steps = gradients.StepRecorder(path=run.steps_path)  # Every step's loss and gradient norm.
    distributed.fit(  # model.fit, also on a cluster (--strategy multi_worker).
        model,
        train_data,
        validation_data=validation_data,
        epochs=config.epochs,
        callbacks=[
            keras.callbacks.BackupAndRestore(run.backup_dir),  # An interrupted fit resumes.
            resumable.ResumableEarlyStopping(run.early_stopping_path, patience=config.patience),
            recorder.TrainingRecorder(run.history_path),  # For the report.
            *([steps] if config.variant == "recurrent" else []),
            *([curriculum] if curriculum is not None else []),  # Admits more reviews each epoch.
            keras.callbacks.TensorBoard(run.tensorboard_dir, write_graph=False),
            # Last: it keeps the random state after every callback drew from it.
            resumable.ResumableRandomness(run.random_state_path, train_data),
        ],
        verbose=training.VERBOSE,
    )
    if config.variant == "recurrent":
        run.notes["steps"] = steps.summary()
    predict.save_predictor(run.folder, model, config, datasets)  # Raw text in, for `predict`.
    return model
