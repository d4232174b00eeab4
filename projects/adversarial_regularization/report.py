"""What the adversarial-regularization report shows, in the order a reader needs it."""

from common.report import plots
from common.report import report as report_lib
from projects.adversarial_regularization import report_sections as sections

SUMMARY = (
    "The same convolutional classifier trained four ways on Fashion-MNIST, same data, budget and "
    "seed: plainly, with Gaussian noise on its inputs, and with adversarial regularization "
    "(book Section 7.13), whose loss adds the loss on adversarial neighbours made on the fly by "
    "FGSM or PGD. Each model is then attacked white box (the attack sees its own gradients) on "
    "the test set, used once after training."
)


def build(config, datasets, plan, results, metrics, evaluation):
    """Returns a `common.report.Report` with every section filled from this run's numbers."""
    report = report_lib.Report(
        "adversarial_regularization", "Adversarial regularization (Fashion-MNIST)", SUMMARY
    )
    report_lib.add_run_banners(report, datasets.source, results)
    add_headline(report, config, metrics)
    sections.add_why(report, config)
    sections.add_main_table(report, config, plan, metrics)
    sections.add_curves(report, config, plan, metrics)
    sections.add_transfer(report, config, plan, metrics)
    sections.add_sweeps(report, config, plan, metrics)
    sections.add_examples(report, config, datasets, evaluation)
    sections.add_gradient_norms(report, plan, metrics, evaluation)
    sections.add_confusions(report, config, datasets, metrics)
    add_learning_curves(report, metrics, results)
    report.add_section(
        "Data",
        f"{datasets.source.describe()}. {datasets.train_size:,} training and "
        f"{datasets.validation_size:,} validation images (a seeded, stratified split of the "
        f"training set), {len(datasets.test_labels):,} test images, pixels scaled to [0, 1]. "
        "Robustness curves and transfer attacks use the first "
        f"{min(config.curve_examples, len(datasets.test_labels)):,} test images.",
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
    report.add_metric("training time (s)", metrics["training_time_seconds"], fmt="{:.0f}")


def add_learning_curves(report, metrics, results):
    name = metrics["headline_variant"]
    summary = metrics["variants"][name]
    first = summary["first_recorded_epoch"]
    report.add_section(
        f"Learning curves ({name})",
        "Solid: training; dashed: validation. The loss is the regularized objective, clean loss "
        "+ adv_multiplier x adversarial loss, on training and on validation batches (each "
        "attacked afresh); 'adversarial_accuracy' is the accuracy on those neighbours. "
        f"{results[name]['early_stopping']['stop_reason']}"
        + f" This training was resumed: the curves start at its epoch {first}."
        * (first > 1),
    )
    shown = ("loss", "accuracy", "adversarial_loss", "adversarial_accuracy")
    history = {
        key: values
        for key, values in results[name]["history"].items()
        if key.removeprefix("val_") in shown
    }
    report.add_figure(
        plots.learning_curves(history, best_epoch=summary["best_epoch"] - first + 1),
        caption="Per recorded epoch; vertical line: the epoch kept by early stopping.",
    )
