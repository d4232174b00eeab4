"""How the autoencoders are trained: which models (the plan), then compile and fit, as in a
keras-io example.

Every model of the plan is the run's config with the fields of its variant changed
(`model.VARIANTS`); the convolutional ones also get their own budget: `conv_epochs` epochs of
`conv_batch_size` images, and the U-Net its own loss, peak rate and schedule. The recipe, top to
bottom: Adam with a learning rate that decays to zero (book Section 8.3.1; the U-Net's first rises
over a warm-up), the model's reconstruction loss, PSNR as the metric; `fit` with early stopping
on the validation loss (Section 7.8) and the callbacks that make a long run safe to interrupt.
"""

import dataclasses

import keras

from common.experiment import distributed, skeleton, training
from common.nn import losses, recorder, resumable, schedules
from projects.denoising_autoencoder import model as model_lib

LOSSES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "bce": "binary_crossentropy",
    "psnr": losses.LogMeanSquaredError,  # Per-image log MSE: minus the mean PSNR.
}
HEADLINE_ORDER = ("unet_denoising", "conv_denoising", "denoising_gaussian")


def variant_config(config, name):
    """The config of the main variant `name`: its fields, and the convolutional budget."""
    changed = dataclasses.replace(config, **model_lib.VARIANTS[name])
    if changed.convolutional:
        changed = dataclasses.replace(
            changed, epochs=config.conv_epochs, batch_size=config.conv_batch_size
        )
    if changed.architecture == "unet":
        changed = dataclasses.replace(
            changed,
            loss=config.unet_loss,
            learning_rate=config.unet_learning_rate,
            warmup_fraction=config.unet_warmup_fraction,
            decay=config.unet_decay,
        )
    return changed


def ablation_configs(config):
    """{table: {name: config}}: one change each to denoising_gaussian (loss, output unit,
    bottleneck size, training noise level)."""
    base = variant_config(config, "denoising_gaussian")
    choices = {
        "loss": {f"loss_{loss}": dict(loss=loss) for loss in config.loss_choices},
        "output": {"output_linear": dict(output_activation="linear")},
        "bottleneck": {f"code_{size}": dict(code_size=size) for size in config.code_sizes},
        "sigma": {f"sigma_{sigma:g}": dict(noise_sigma=sigma) for sigma in config.sigma_sweep},
    }
    return {
        table: {
            name: dataclasses.replace(base, **changes) for name, changes in choices[table].items()
        }
        for table in config.ablations
    }


def plan(config):
    """The models: the main variants, then the ablations. The headline, the U-Net (or the best
    denoiser asked for), is named here, in advance: no choice is made on test data."""
    models = {name: variant_config(config, name) for name in config.variants}
    tables = {"main": [(name, name) for name in config.variants]}
    for table, configs in ablation_configs(config).items():
        for name, model_config in configs.items():
            models.setdefault(name, model_config)
        tables[table] = [(name, name) for name in configs]
    headline = next((name for name in HEADLINE_ORDER if name in config.variants), None)
    return skeleton.Plan(models=models, tables=tables, headline=headline or config.variants[0])


def compile_model(model, config, datasets):
    """Adam along the config's schedule (a warm-up, then a cosine or linear decay to zero over
    the run), the config's reconstruction loss, PSNR."""
    schedule = schedules.learning_rate_schedule(
        config.learning_rate,
        config.epochs * datasets.steps_per_epoch(config),
        decay=config.decay,
        warmup_fraction=config.warmup_fraction,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss=reconstruction_loss(config),
        metrics=[model_lib.PeakSignalToNoiseRatio()],
        jit_compile=config.jit_compile,
        steps_per_execution=config.steps_per_execution,
    )


def reconstruction_loss(config):
    """The loss named by `config.loss`, as Keras takes it."""
    loss = LOSSES[config.loss]
    return loss() if isinstance(loss, type) else loss


def train_model(config, datasets, run):
    """Builds, compiles and fits one model of the plan, validating on its own kind of noisy
    input; returns it with its best weights."""
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
