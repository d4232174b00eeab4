"""How the classifiers are trained: which models (the plan), then compile and fit, as in a
keras-io example.

Every model of the plan is the same network trained from the same initial weights on the same
batches for the same epochs; its config's `variant` says whether its loss or its inputs differ
(model.py, data.py). The recipe, top to bottom: Adam with a cosine decay of the learning rate to
zero (book Section 8.3.1), cross-entropy on logits, accuracy; `fit` with early stopping on the
validation loss (Section 7.8) and the callbacks that make a long run safe to interrupt.
"""

import dataclasses

import keras

from common.experiment import distributed, skeleton, training
from common.nn import recorder, resumable, schedules
from projects.adversarial_regularization import model as model_lib

TABLES = ("main", "multiplier sweep", "epsilon sweep")


def plan(config):
    """The models: the main variants, then the sweeps, each adversarial_fgsm with one value
    changed. The headline, adversarial_pgd (or the strongest one asked for), is named here, in
    advance: no choice is made on test data."""
    models = {name: dataclasses.replace(config, variant=name) for name in config.variants}
    fgsm = dataclasses.replace(config, variant="adversarial_fgsm")
    tables = {"main": [(name, name) for name in config.variants]}
    for table, knob, values in (
        ("multiplier sweep", "adv_multiplier", config.multiplier_sweep),
        ("epsilon sweep", "adv_step_size", config.epsilon_sweep),
    ):
        prefix = "fgsm_multiplier" if knob == "adv_multiplier" else "fgsm_epsilon"
        rows = []
        for value in values:
            name = f"{prefix}_{value:g}"
            models[name] = dataclasses.replace(fgsm, **{knob: value})
            rows.append((name, name))
        if rows:
            tables[table] = rows
    headline = next(
        (name for name in ("adversarial_pgd", "adversarial_fgsm") if name in config.variants),
        config.variants[0],
    )
    return skeleton.Plan(models=models, tables=tables, headline=headline)


def compile_model(model, config, datasets):
    """Adam along a cosine decay to zero over the run, cross-entropy on logits, accuracy."""
    schedule = schedules.learning_rate_schedule(
        config.learning_rate, config.epochs * datasets.steps_per_epoch(config), decay="cosine"
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
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
