"""How the CNNs are trained: which models (the plan), then compile and fit, as in a keras-io
example.

The headline model trains on the whole budget; each ablation row is a small plain CNN on a
shared reduced budget (ablations.py). Every model, headline or row, follows the same recipe,
read from its own config: its optimizer along a linear warm-up then a cosine decay of the
learning rate (book Section 8.3.1), cross-entropy (label-smoothed for the headline, 7.5.1),
accuracy; `fit` with early stopping on the validation loss (7.8) and the callbacks that make a
long run safe to interrupt.
"""

import keras

from common.experiment import distributed, skeleton, training
from common.nn import losses, recorder, resumable, schedules
from projects.image_classification import ablations
from projects.image_classification import model as model_lib

HEADLINE = "headline"


def plan(config):
    """The headline model (the run's config as given), then every ablation row; a row whose
    config equals an earlier model's (the base model sits in most tables) reuses it."""
    models = {HEADLINE: config}
    base = ablations.base_config(config)
    tables = {}
    for ablation, rows in ablations.ablation_rows(config).items():
        tables[ablation] = []
        for label, model_config in rows:
            name = next(
                (name for name, known in models.items() if known == model_config),
                ablations.model_name(model_config, base),
            )
            models[name] = model_config
            tables[ablation].append((label, name))
    return skeleton.Plan(models=models, tables=tables, headline=HEADLINE)


def compile_model(model, config, datasets):
    """The config's optimizer along its schedule; cross-entropy with the config's label
    smoothing, on each head of a multi-task model; accuracy."""
    warmup_fraction = config.warmup_epochs / config.epochs if config.schedule == "cosine" else 0
    schedule = schedules.learning_rate_schedule(
        config.learning_rate,
        config.epochs * datasets.steps_per_epoch(config),
        decay=config.schedule,
        warmup_fraction=warmup_fraction,
        warmup_start=0.1,  # The warm-up starts at a tenth of the peak rate.
    )
    loss = losses.SmoothedSparseCrossentropy(config.label_smoothing)
    metrics = ["accuracy"]
    if config.multitask:
        loss = {"class": loss, "group": losses.SmoothedSparseCrossentropy(config.label_smoothing)}
        metrics = {"class": ["accuracy"], "group": ["accuracy"]}
    model.compile(
        optimizer=model_lib.make_optimizer(config.optimizer, schedule),
        loss=loss,
        metrics=metrics,
        jit_compile=config.jit_compile,
    )


def train_model(config, datasets, run):
    """Builds, compiles and fits one model of the plan; returns it with its best weights."""
    train_data, validation_data = datasets.train(config), datasets.validation(config)
    probe = datasets.probe(config)
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
            recorder.TrainingRecorder(run.history_path, probe_data=probe),  # For the report.
            keras.callbacks.TensorBoard(run.tensorboard_dir, write_graph=False),
            # Last: it keeps the random state after every callback drew from it.
            resumable.ResumableRandomness(run.random_state_path, train_data),
        ],
        verbose=training.VERBOSE,
    )
    return model
