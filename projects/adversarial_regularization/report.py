"""The adversarial-regularization report, drawn from a run's saved results only.

Sections in reading order: why small perturbations fool a classifier, the models attacked, the
robustness curves, transfer attacks, the sweeps, what the attack does to images, how flat the
loss is around the data, confusion matrices, learning curves, data. Each figure and table names
the function that computed it and the one that drew it.
"""

from common.nn import recorder
from common.report import plots, sentences
from common.report import report as report_lib
from projects.adversarial_regularization import report_pictures, report_sections

SUMMARY = (
    "The same convolutional classifier trained four ways on Fashion-MNIST, same data, budget and "
    "seed: plainly, with Gaussian noise on its inputs, and with adversarial regularization "
    "(book Section 7.13), whose loss adds the loss on adversarial neighbours made on the fly by "
    "FGSM or PGD. Each model is then attacked white box (the attack sees its own gradients) on "
    "the test set, used once after training."
)


def build_report(results):
    """Returns a `common.report.Report` with every section filled from the saved results."""
    config, metrics = results.config, results.metrics
    report = report_lib.Report(
        "adversarial_regularization", "Adversarial regularization (Fashion-MNIST)", SUMMARY
    )
    report_lib.add_run_banners(report, results)
    add_headline(report, config, metrics)
    report_sections.add_why(report, config)
    report_sections.add_main_table(report, config, results)
    report_sections.add_curves(report, config, results)
    report_sections.add_transfer(report, config, results)
    report_sections.add_sweeps(report, config, results)
    report_pictures.add_examples(report, config, results)
    report_pictures.add_gradient_norms(report, results)
    report_pictures.add_confusions(report, config, metrics)
    add_learning_curves(report, results)
    report.add_section(
        "Data",
        f"{results.data_source.get('description', '')}. {metrics['train_images']:,} training "
        f"and {metrics['validation_images']:,} validation images (a seeded, stratified split of "
        f"the training set), {metrics['test_images']:,} test images"
        + (" (the first in file order: test_limit)" if config.test_limit else "")
        + ", pixels scaled to [0, 1]. "
        "Robustness curves and transfer attacks use the first "
        f"{min(config.curve_examples, metrics['test_images']):,} test images.",
    )
    return report


def add_headline(report, config, metrics):
    name, epsilon = metrics["headline_variant"], config.attack_epsilon
    report.add_metric(f"{name}: clean test accuracy", metrics["clean_accuracy"], headline=True)
    report.add_metric(f"{name}: FGSM eps {epsilon} accuracy", metrics["fgsm_accuracy"])
    pgd = f"PGD-{config.attack_pgd_steps}"
    report.add_metric(f"{name}: {pgd} eps {epsilon} accuracy", metrics["pgd_accuracy"])
    if metrics.get("base_fgsm_accuracy") is not None:
        report.add_metric(f"base: FGSM eps {epsilon} accuracy", metrics["base_fgsm_accuracy"])
        base_pgd = metrics["variants"]["base"]["pgd_accuracy"]
        report.add_metric(f"base: {pgd} eps {epsilon} accuracy", base_pgd)
    report.add_metric("training time (s)", metrics["training_time_seconds"], fmt="{:.0f}")


def add_learning_curves(report, results):
    name = results.metrics["headline_variant"]
    summary = results.metrics["variants"][name]
    record = results.training[name]
    first = summary["first_recorded_epoch"]
    report.add_section(
        f"Learning curves ({name})",
        "Solid: training; dashed: validation. The loss is the regularized objective, clean loss "
        "+ adv_multiplier x adversarial loss, on training and on validation batches (each "
        "attacked afresh); 'adversarial_accuracy' is the accuracy on those neighbours. "
        f"{record['early_stopping']['stop_reason']} "
        + sentences.early_stopping([record])
        + f" This training was resumed: the curves start at its epoch {first}." * (first > 1),
    )
    shown = ("loss", "accuracy", "adversarial_loss", "adversarial_accuracy")
    history = {
        key: values
        for key, values in record["history"].items()
        if key.removeprefix("val_") in shown
    }
    report.add_figure(
        plots.learning_curves(history, best_epoch=summary["best_epoch"] - first + 1),
        caption="Per recorded epoch; vertical line: the epoch kept by early stopping.",
        computed_by=recorder.TrainingRecorder,
        drawn_by=plots.learning_curves,
    )
