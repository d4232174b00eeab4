"""The sections of the adversarial-regularization report, one function each."""

import numpy as np

from common.report import plots


def main_names(plan):
    return [name for name, variant in plan.items() if variant.group == "main"]


def add_why(report, config):
    report.add_section(
        "Why small perturbations fool a classifier",
        "A network made of ReLUs and max pooling is nearly linear in its input around each data "
        "point. For a linear score w.x, the perturbation eps * sign(w) changes the score by eps "
        "* ||w||_1, which grows with the number of pixels: 784 tiny changes add up to a big one. "
        "FGSM takes that step along the sign of the loss gradient; PGD takes several smaller "
        "steps, each projected back into the eps ball, and finds worse points. Random noise of "
        "the same size almost never points along the gradient, which is why noise injection "
        "(Section 7.5) buys little robustness and adversarial training (Section 7.13) buys much: "
        "it trains on the worst nearby point, making the model locally constant around the "
        f"training data. Here eps = {config.attack_epsilon} means each pixel may move by "
        f"{config.attack_epsilon} on the [0, 1] scale ({255 * config.attack_epsilon:.0f} of 255 "
        "grey levels). The models output logits and the attacks differentiate the cross-entropy "
        "of those logits, so no saturated softmax hides a gradient (gradient masking).",
    )


def add_main_table(report, config, plan, metrics):
    variants, epsilon = metrics["variants"], config.attack_epsilon
    names = main_names(plan)
    base_time = variants.get("base", {}).get("wall_time_seconds")
    pgd = f"PGD-{config.attack_pgd_steps}"
    report.add_section(
        "The models, attacked",
        f"Whole test set. FGSM and {pgd} (random start, step 2.5 eps / steps) at eps {epsilon}, "
        "L-infinity, pixels clipped to [0, 1], each built on the model it is scored on. "
        "'time x base' is the training wall time relative to the base model's.",
    )
    rows = []
    for name in names:
        row = variants[name]
        ratio = row["wall_time_seconds"] / base_time if base_time else None
        rows.append(
            [name, plan[name].description, row["clean_accuracy"], row["fgsm_accuracy"]]
            + [row["pgd_accuracy"], row["parameters"], row["epochs_run"]]
            + [row["wall_time_seconds"], ratio]
        )
    columns = ["model", "training", "clean", f"FGSM {epsilon}", f"{pgd} {epsilon}"]
    report.add_table(
        columns + ["parameters", "epochs", "train time (s)", "time x base"],
        rows,
        caption="Test accuracy. Same architecture, data, epochs budget, optimizer and seed.",
        float_format="{:.3f}",
    )
    report.add_figure(
        plots.bar_chart(
            [f"{name}\n{kind}" for name in names for kind in ("clean", "FGSM", "PGD")],
            [
                variants[n][k]
                for n in names
                for k in ("clean_accuracy", "fgsm_accuracy", "pgd_accuracy")
            ],
            "test accuracy",
        ),
        caption=f"Clean, FGSM and {pgd} accuracy at eps {epsilon}, per model.",
    )


def add_curves(report, config, plan, metrics):
    variants = metrics["variants"]
    names = [name for name in main_names(plan) if "curves" in variants[name]]
    report.add_section(
        "Robustness curves",
        f"Accuracy against the attack's eps on the first {config.curve_examples:,} test images; "
        f"PGD uses {config.curve_pgd_steps} steps here. A sound attack gets stronger as eps grows, "
        "and PGD is never weaker than FGSM: both show in these curves.",
    )
    for kind in ("fgsm", "pgd"):
        report.add_figure(
            plots.line_plot(
                config.curve_epsilons,
                {name: variants[name]["curves"][kind] for name in names},
                "eps (L-infinity, [0, 1] pixels)",
                "test accuracy",
                title=f"{kind.upper()} accuracy against eps",
            ),
            caption=f"{kind.upper()} white-box accuracy of each model.",
        )
    report.add_table(
        ["model", "attack", *[f"eps {e:g}" for e in config.curve_epsilons]],
        [[n, k.upper(), *variants[n]["curves"][k]] for n in names for k in ("fgsm", "pgd")],
        caption="The curves' numbers.",
        float_format="{:.3f}",
    )


def add_transfer(report, config, plan, metrics):
    variants = metrics["variants"]
    names = [name for name in plan if "transfer" in variants[name]]
    if not names:
        return
    report.add_section(
        "Transfer attacks (NSL's tutorial evaluation)",
        "Perturbations built once on the base model, then shown to every model: this is how "
        "the Neural Structured Learning tutorial scores its regularized model. A transferred "
        "attack is weaker than a white-box one against the robust models, so compare the two "
        "columns before trusting either alone.",
    )
    epsilon, steps = config.attack_epsilon, config.attack_pgd_steps
    report.add_table(
        [
            "model",
            f"FGSM from base, eps {epsilon}",
            f"PGD-{steps} from base",
            "white-box PGD (curve)",
        ],
        [
            [
                n,
                variants[n]["transfer"]["fgsm"],
                variants[n]["transfer"]["pgd"],
                curve_at(config, variants[n], epsilon),
            ]
            for n in names
        ],
        caption=f"First {config.curve_examples:,} test images. White-box column: PGD-"
        f"{config.curve_pgd_steps} on the model itself.",
        float_format="{:.3f}",
    )


def curve_at(config, scores, epsilon, kind="pgd"):
    """The curve's value at `epsilon`, or None when the curve has no such point."""
    if epsilon not in config.curve_epsilons or "curves" not in scores:
        return None
    return scores["curves"][kind][list(config.curve_epsilons).index(epsilon)]


def add_sweeps(report, config, plan, metrics):
    variants, epsilon = metrics["variants"], config.attack_epsilon
    for group, knob in (("multiplier sweep", "adv_multiplier"), ("epsilon sweep", "adv_step_size")):
        names = [name for name, variant in plan.items() if variant.group == group]
        if not names:
            continue
        if "adversarial_fgsm" in plan:
            names = sorted([*names, "adversarial_fgsm"], key=lambda n: getattr(plan[n], knob))
        report.add_section(
            f"Sweep: {knob}",
            f"adversarial_fgsm with one value changed. Test accuracy on the first "
            f"{config.curve_examples:,} test images, clean and under white-box PGD-"
            f"{config.curve_pgd_steps} at eps {epsilon}: more weight or a larger training eps "
            "buys robustness with clean accuracy.",
        )
        rows = [
            [name, getattr(plan[name], knob), variants[name]["curves"]["pgd"][0]]
            + [
                curve_at(config, variants[name], epsilon, "fgsm"),
                curve_at(config, variants[name], epsilon),
            ]
            + [variants[name]["wall_time_seconds"]]
            for name in names
        ]
        report.add_table(
            ["model", knob, "clean", f"FGSM {epsilon}", f"PGD {epsilon}", "train time (s)"],
            rows,
            float_format="{:.3f}",
        )
        report.add_figure(
            plots.line_plot(
                [getattr(plan[name], knob) for name in names],
                {"clean": [row[2] for row in rows], f"PGD eps {epsilon}": [row[4] for row in rows]},
                knob,
                "test accuracy",
                title=f"The {knob} trade-off",
            ),
            caption="Clean against robust accuracy as the knob turns.",
        )


def add_examples(report, config, datasets, evaluation):
    names = datasets.class_names
    report.add_section(
        "What the attack does",
        f"Rows per model: clean test images, the PGD perturbation (amplified: grey is 0, white "
        f"+{config.attack_epsilon}, black -{config.attack_epsilon}), and the adversarial "
        "image. Labels: the model's prediction; red when wrong.",
    )
    for model_name, grid in evaluation["grids"].items():
        images = np.concatenate([grid["clean"], grid["perturbation"], grid["adversarial"]])
        truth = grid["labels"]
        clean_labels = [names[p] for p in grid["clean_predictions"]]
        adversarial_labels = [names[p] for p in grid["adversarial_predictions"]]
        labels = clean_labels + ["perturbation"] * len(truth) + adversarial_labels
        colors = wrong_in_red(grid["clean_predictions"], truth) + [None] * len(truth)
        colors += wrong_in_red(grid["adversarial_predictions"], truth)
        report.add_image_grid(
            images, labels, caption=f"{model_name}: clean / perturbation / adversarial.",
            columns=len(truth), label_colors=colors,
        )  # fmt: skip


def wrong_in_red(predictions, labels):
    return [None if p == t else "red" for p, t in zip(predictions, labels, strict=True)]


def add_gradient_norms(report, plan, metrics, evaluation):
    variants = metrics["variants"]
    names = list(plan)
    report.add_section(
        "How flat is the loss around the test points?",
        "||grad_x L||_2, the input gradient of each test image's loss: to first order, a step "
        "of L2 length r changes the loss by at most r times this. Adversarial training makes "
        "it small (a locally constant model); noise injection much less so.",
    )
    means = [variants[name]["input_gradient_norm"]["mean"] for name in names]
    report.add_figure(
        plots.bar_chart(
            names, means, "mean ||grad_x L||_2", annotations=[f"{m:.3g}" for m in means]
        ),
        caption=f"Mean over the first {len(evaluation['gradient_norms'][names[0]]):,} test images.",
    )
    report.add_table(
        ["model", "mean", "median"],
        [
            [
                n,
                variants[n]["input_gradient_norm"]["mean"],
                variants[n]["input_gradient_norm"]["median"],
            ]
            for n in names
        ],
        float_format="{:.4g}",
    )


def add_confusions(report, config, datasets, metrics):
    name, variants = metrics["headline_variant"], metrics["variants"]
    report.add_section(
        "Confusion matrices",
        f"Which classes the attack (PGD-{config.attack_pgd_steps}, eps {config.attack_epsilon}) "
        "pushes into which: whole test set.",
    )
    shown = [(name, "clean_confusion", "clean"), (name, "pgd_confusion", "under PGD")]
    if "base" in variants and name != "base":
        shown.append(("base", "pgd_confusion", "under PGD"))
    for model_name, key, label in shown:
        report.add_figure(
            plots.confusion_matrix(
                variants[model_name][key], datasets.class_names, title=f"{model_name}, {label}"
            ),
            caption=f"{model_name} {label}: rows are true classes, row-normalized.",
        )
