"""Train every autoencoder of the plan, score them once on the test set, write the report."""

import dataclasses
import math
import pathlib
import time

from common.experiment import training, tuning
from common.report import report as report_lib
from projects.denoising_autoencoder import data, evaluate, model
from projects.denoising_autoencoder import report as project_report

PROJECT = "denoising_autoencoder"


def run(config, workdir, *, reports_dir="reports", preset="custom", fresh=False):
    """Trains, evaluates and reports; returns the metrics dict written to metrics.json."""
    start = time.perf_counter()
    folder = training.prepare_run(config, workdir, PROJECT, preset, fresh)
    datasets = data.load_datasets(config)
    plan = model.training_plan(config)
    models, results = train_all(config, datasets, plan, folder)
    scores = {name: evaluate.score(models[name], plan[name], datasets, config) for name in plan}
    encoders = {"raw pixels": None}
    encoders.update({name: models[name].get_layer("encoder") for name in config.variants})
    probes, robustness = evaluate.probe_table(encoders, datasets, config)
    best = headline_variant(config)
    metrics = {
        "test_psnr": scores[best]["psnr_noisy"],
        "test_ssim": scores[best]["ssim_noisy"],
        "headline_variant": best,
        "noise_sigma": config.noise_sigma,
        "noisy_input_psnr_curve": evaluate.noise_curve(None, datasets, config.evaluation_sigmas),
        "variants": summarize(results, scores, plan, config),
        "probe_accuracy": probes,
        "probe_robustness": robustness,
        "training_time_seconds": sum(r["wall_time_seconds"] for r in results.values()),
    }
    report = project_report.build(config, datasets, plan, models, results, metrics)
    path = report_lib.publish(
        report,
        reports_dir,
        project=PROJECT,
        config=config,
        preset=preset,
        data_source=datasets.source,
        wall_time_seconds=time.perf_counter() - start,
        metrics=metrics,
        history=results[best]["history"],
    )
    metrics["summary"] = (
        f"test PSNR {metrics['test_psnr']:.2f} dB, SSIM {metrics['test_ssim']:.3f} at Gaussian "
        f"sigma {config.noise_sigma} ({best}); report: {path}"
    )
    return metrics


def headline_variant(config):
    """The model whose test PSNR heads the report, named in advance (no choice on test data)."""
    for name in ("unet_denoising", "conv_denoising", "denoising_gaussian"):
        if name in config.variants:
            return name
    return config.variants[0]


def train_all(config, datasets, plan, folder):
    """Trains (or reuses) each model of the plan, validating on its own kind of noisy input."""
    models, results = {}, {}
    for name, variant in plan.items():
        training.set_seed(config.seed)  # Same initial randomness for every model.
        convolutional = variant.architecture in model.CONVOLUTIONAL
        epochs = config.conv_epochs if convolutional else config.epochs
        train_data, batch_size = train_batches(config, datasets, variant)
        steps_per_epoch = math.ceil(datasets.train_size / batch_size)
        validation = datasets.validation(variant.noise, variant.noise_level)
        probe = next(iter(validation.take(1)))
        models[name], results[name] = training.train_variant(
            name,
            lambda variant=variant, steps=steps_per_epoch: model.build_model(
                config, variant, datasets.image_shape, steps
            ),
            train_data,
            validation,
            config=dataclasses.replace(config, epochs=epochs),
            folder=folder / name,
            probe_data=(probe[0], probe[1]),
        )
    return models, results


def train_batches(config, datasets, variant):
    """`(pipeline, batch size)` for training `variant`: convolutional models take smaller batches
    (`conv_batch_size`), the dense ones `batch_size`."""
    if variant.architecture in model.CONVOLUTIONAL:
        return datasets.train.rebatch(config.conv_batch_size), config.conv_batch_size
    return datasets.train, config.batch_size


def summarize(results, scores, plan, config):
    """Training summary (at each model's early-stopping point) and test scores, per model."""
    variants = {}
    for name, result in results.items():
        convolutional = plan[name].architecture in model.CONVOLUTIONAL
        planned = config.conv_epochs if convolutional else config.epochs
        variants[name] = {**training.summarize(result, planned), **scores[name]}
    return variants


def tune(config, workdir, *, reports_dir="reports", preset="custom", fresh=False, max_trials=None):
    """Hyperband over code size, depth, noise level and L1 weight; objective: validation PSNR at
    the headline noise (Gaussian, `noise_sigma`)."""
    training.set_seed(config.seed)
    datasets = data.load_datasets(config)
    steps_per_epoch = math.ceil(datasets.train_size / config.batch_size)
    result = tuning.search(
        model.build_hypermodel(config, datasets.image_shape, steps_per_epoch),
        datasets.train,
        datasets.validation("gaussian", config.noise_sigma),
        directory=pathlib.Path(workdir) / PROJECT / f"tune-{preset}",
        max_epochs=config.epochs,
        seed=config.seed,
        objective="val_psnr",
        direction="max",
        max_trials=max_trials,
        overwrite=fresh,
    )
    tuning.write_report(result, PROJECT, config, preset, datasets.source, reports_dir)
    return {"summary": f"best {result['objective']} {result['best_score']:.2f} dB"}
