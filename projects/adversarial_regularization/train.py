"""Train every model of the plan, attack each one on the test set once, write the report."""

import math
import pathlib
import time

from common.experiment import training, tuning
from common.report import report as report_lib
from projects.adversarial_regularization import data, evaluate, model
from projects.adversarial_regularization import report as project_report

PROJECT = "adversarial_regularization"


def run(config, workdir, *, reports_dir="reports", preset="custom", fresh=False):
    """Trains, evaluates and reports; returns the metrics dict written to metrics.json."""
    start = time.perf_counter()
    folder = training.prepare_run(config, workdir, PROJECT, preset, fresh)
    datasets = data.load_datasets(config)
    plan = model.training_plan(config)
    trained, results = train_all(config, datasets, plan, folder)
    classifiers = {name: model.base_of(trained[name]) for name in plan}
    evaluation = evaluate_all(classifiers, plan, datasets, config)
    headline = headline_variant(config)
    metrics = {
        **{key: evaluation["variants"][headline][key] for key in HEADLINE_KEYS},
        "headline_variant": headline,
        "attack_epsilon": config.attack_epsilon,
        "base_fgsm_accuracy": evaluation["variants"].get("base", {}).get("fgsm_accuracy"),
        "variants": {
            name: {
                **training.summarize(results[name], config.epochs),
                **evaluation["variants"][name],
            }
            for name in plan
        },
        "curve_epsilons": list(config.curve_epsilons),
        "training_time_seconds": sum(result["wall_time_seconds"] for result in results.values()),
    }
    report = project_report.build(config, datasets, plan, results, metrics, evaluation)
    path = report_lib.publish(
        report,
        reports_dir,
        project=PROJECT,
        config=config,
        preset=preset,
        data_source=datasets.source,
        wall_time_seconds=time.perf_counter() - start,
        metrics=metrics,
        history=results[headline]["history"],
    )
    metrics["summary"] = (
        f"{headline}: clean test accuracy {metrics['clean_accuracy']:.4f}, FGSM "
        f"{metrics['fgsm_accuracy']:.4f}, PGD-{config.attack_pgd_steps} "
        f"{metrics['pgd_accuracy']:.4f} at eps {config.attack_epsilon}; report: {path}"
    )
    return metrics


HEADLINE_KEYS = ("clean_accuracy", "fgsm_accuracy", "pgd_accuracy")


def headline_variant(config):
    """The model that heads the report, named in advance (no choice made on test data)."""
    for name in ("adversarial_pgd", "adversarial_fgsm"):
        if name in config.variants:
            return name
    return config.variants[0]


def train_all(config, datasets, plan, folder):
    """Trains (or reuses) each model of the plan from the same seed, on the same batches."""
    steps_per_epoch = math.ceil(datasets.train_size / config.batch_size)
    trained, results = {}, {}
    for name, variant in plan.items():
        training.set_seed(config.seed)  # Same initial weights for every model.
        trained[name], results[name] = training.train_variant(
            name,
            lambda variant=variant: model.build_model(config, variant, steps_per_epoch),
            datasets.train(variant.noise_sigma),
            datasets.validation(),
            config=config,
            folder=folder / name,
            probe_data=datasets.probe(),
        )
    return trained, results


def evaluate_all(classifiers, plan, datasets, config):
    """Test-set scores of every model: headline attacks, curves, transfer, gradient norms."""
    base = classifiers.get("base")
    transferred, transfer_labels = (
        evaluate.transfer_images(base, datasets, config) if base is not None else (None, None)
    )
    variants, gradient_norms, grids = {}, {}, {}
    for name, classifier in classifiers.items():
        print(f"[{name}] attacking the test set.", flush=True)
        scores = evaluate.headline(classifier, datasets, config)
        scores["curves"] = evaluate.robustness_curves(classifier, datasets, config)
        if transferred is not None:
            scores["transfer"] = evaluate.transfer_accuracy(
                classifier, transferred, transfer_labels
            )
        norms = evaluate.input_gradient_norm(classifier, datasets)
        gradient_norms[name] = norms.pop("values")
        scores["input_gradient_norm"] = norms
        variants[name] = scores
        if plan[name].group == "main":
            grids[name] = evaluate.example_grid(classifier, datasets, config)
    return {"variants": variants, "gradient_norms": gradient_norms, "grids": grids}


def tune(config, workdir, *, reports_dir="reports", preset="custom", fresh=False, max_trials=None):
    """Hyperband over adv_multiplier, epsilon and width; objective: validation mixed accuracy,
    clean_weight * clean + (1 - clean_weight) * accuracy on the training attack's neighbours."""
    training.set_seed(config.seed)
    datasets = data.load_datasets(config)
    steps_per_epoch = math.ceil(datasets.train_size / config.batch_size)
    result = tuning.search(
        model.build_hypermodel(config, steps_per_epoch),
        datasets.train(),
        datasets.validation(),
        directory=pathlib.Path(workdir) / PROJECT / f"tune-{preset}",
        max_epochs=config.epochs,
        seed=config.seed,
        objective="val_mixed_accuracy",
        direction="max",
        max_trials=max_trials,
        overwrite=fresh,
    )
    tuning.write_report(result, PROJECT, config, preset, datasets.source, reports_dir)
    return {"summary": f"best {result['objective']} {result['best_score']:.4f}"}
