"""The picture sections of the adversarial-regularization report: what the attack does to an
image, how flat each model's loss is around the test points, and where its errors go; each drawn
from saved results only."""

import numpy as np

from common.report import plots, sentences
from projects.adversarial_regularization import evaluate, report_sections


def add_examples(report, config, results):
    names = results.metrics["class_names"]
    report.add_section(
        "What the attack does",
        f"Rows per model: clean test images, the PGD perturbation (amplified: grey is 0, white "
        f"+{config.attack_epsilon}, black -{config.attack_epsilon}), and the adversarial "
        "image. Labels: the model's prediction; red when wrong.",
    )
    for model_name in report_sections.main_names(results):
        grid = {
            key.rsplit("/", 1)[1]: value
            for key, value in results.arrays.items()
            if key.startswith(f"{model_name}/examples/")
        }
        if not grid:
            continue
        truth = grid["labels"]
        images = np.concatenate([grid["clean"], grid["perturbation"], grid["adversarial"]])
        labels = [names[p] for p in grid["clean_predictions"]] + ["perturbation"] * len(truth)
        labels += [names[p] for p in grid["adversarial_predictions"]]
        colors = wrong_in_red(grid["clean_predictions"], truth) + [None] * len(truth)
        colors += wrong_in_red(grid["adversarial_predictions"], truth)
        report.add_text(f"{model_name}:")
        report.add_image_grid(
            images, labels,
            caption=f"Clean / perturbation / adversarial, with predictions: {model_name}.",
            columns=len(truth), label_colors=colors, computed_by=evaluate.example_grid,
        )  # fmt: skip


def wrong_in_red(predictions, labels):
    return [None if p == t else "red" for p, t in zip(predictions, labels, strict=True)]


def add_gradient_norms(report, results):
    variants = results.metrics["variants"]
    names = list(results.plan["models"])
    means = {name: variants[name]["input_gradient_norm"]["mean"] for name in names}
    count = len(results.arrays.get(f"{names[0]}/input_gradient_norms", []))
    report.add_section(
        "How flat is the loss around the test points?",
        "||grad_x L||_2, the input gradient of each test image's loss: to first order, a step "
        "of L2 length r changes the loss by at most r times this. Adversarial training aims to "
        f"make it small (a locally constant model). Over the first {count:,} test images the "
        f"flattest loss is {sentences.best(means, higher_is_better=False, fmt='{:.3g}')}"
        + (
            "; "
            + sentences.compare(
                "gaussian_noise",
                means["gaussian_noise"],
                "base",
                means["base"],
                what="the mean norm",
                fmt="{:.3g}",
            )  # fmt: skip
            if {"gaussian_noise", "base"} <= set(means)
            else ""
        )
        + ".",
    )
    report.add_figure(
        plots.bar_chart(
            names,
            list(means.values()),
            "mean ||grad_x L||_2",
            annotations=[f"{m:.3g}" for m in means.values()],
        ),
        caption="Mean input-gradient norm over the first gradient_images test images.",
        computed_by=evaluate.input_gradient_norm,
        drawn_by=plots.bar_chart,
    )
    report.add_table(
        ["model", "mean", "median"],
        [[n, means[n], variants[n]["input_gradient_norm"]["median"]] for n in names],
        float_format="{:.4g}",
        computed_by=evaluate.input_gradient_norm,
    )


def add_confusions(report, config, metrics):
    name, variants = metrics["headline_variant"], metrics["variants"]
    report.add_section(
        "Confusion matrices",
        f"Which classes the attack (PGD-{config.attack_pgd_steps}, eps {config.attack_epsilon}) "
        "pushes into which: whole test set. Rows are true classes, row-normalized.",
    )
    shown = [(name, "clean_confusion", "clean"), (name, "pgd_confusion", "under PGD")]
    if "base" in variants and name != "base":
        shown.append(("base", "pgd_confusion", "under PGD"))
    captions = {
        "clean": "The headline model on clean test images.",
        "under PGD": "Under the headline PGD attack, built on the model itself.",
    }
    for model_name, key, label in shown:
        report.add_figure(
            plots.confusion_matrix(
                variants[model_name][key], metrics["class_names"], title=f"{model_name}, {label}"
            ),
            caption=captions[label] if model_name == name else "The base model under PGD.",
            computed_by=evaluate.headline,
            drawn_by=plots.confusion_matrix,
        )
