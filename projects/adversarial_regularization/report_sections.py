"""The sections of the adversarial-regularization report after its headline, one function each,
each drawn from saved results only."""

from common.report import plots, sentences
from projects.adversarial_regularization import evaluate


def add_why(report, config):
    report.add_section(
        "Why small perturbations fool a classifier",
        "A network made of ReLUs and max pooling is nearly linear in its input around each data "
        "point. For a linear score w.x, the perturbation eps * sign(w) changes the score by eps "
        "* ||w||_1, which grows with the number of pixels: 784 tiny changes add up to a big one. "
        "FGSM takes that step along the sign of the loss gradient; PGD takes several smaller "
        "steps, each projected back into the eps ball, and finds worse points. Random noise of "
        "the same size almost never points along the gradient, which is why noise injection "
        "(Section 7.5) is expected to buy little robustness and adversarial training (Section "
        "7.13) much: it trains on the worst nearby point, making the model locally constant "
        f"around the training data. Here eps = {config.attack_epsilon} means each pixel may move "
        f"by {config.attack_epsilon} on the [0, 1] scale ({255 * config.attack_epsilon:.0f} of "
        "255 grey levels). The models output logits and the attacks differentiate the "
        "cross-entropy of those logits, so no saturated softmax hides a gradient (gradient "
        "masking). The adversarial loss is regularizer.py's AdversarialRegularization.",
    )


def main_names(results):
    return [name for _, name in results.plan["tables"].get("main", [])]


def add_main_table(report, config, results):
    variants, epsilon = results.metrics["variants"], config.attack_epsilon
    names = main_names(results)
    base_time = variants.get("base", {}).get("wall_time_seconds")
    pgd = f"PGD-{config.attack_pgd_steps}"
    report.add_section(
        "The models, attacked",
        f"Whole test set. FGSM and {pgd} (random start, step 2.5 eps / steps) at eps {epsilon}, "
        "L-infinity, pixels clipped to [0, 1], each built on the model it is scored on. "
        "'time x base' is the training wall time relative to the base model's. "
        + robustness_sentence(variants, names),
    )
    rows = []
    for name in names:
        row = variants[name]
        ratio = row["wall_time_seconds"] / base_time if base_time else None
        rows.append(
            [name, row["description"], row["clean_accuracy"], row["fgsm_accuracy"]]
            + [row["pgd_accuracy"], row["parameters"], row["epochs_run"]]
            + [row["wall_time_seconds"], ratio]
        )
    columns = ["model", "training", "clean", f"FGSM {epsilon}", f"{pgd} {epsilon}"]
    report.add_table(
        columns + ["parameters", "epochs", "train time (s)", "time x base"],
        rows,
        caption="Test accuracy. Same architecture, data, epoch budget, optimizer and seed.",
        float_format="{:.3f}",
        computed_by=evaluate.headline,
    )
    report.add_figure(
        plots.bar_chart(
            [f"{name}\n{kind}" for name in names for kind in ("clean", "FGSM", "PGD")],
            [variants[n][k] for n in names for k in evaluate.HEADLINE_KEYS],
            "test accuracy",
        ),
        caption="Clean, FGSM and PGD accuracy at the headline eps, per model.",
        computed_by=evaluate.headline,
        drawn_by=plots.bar_chart,
    )


def robustness_sentence(variants, names):
    """Which model held up best under PGD, and how the noise-trained one compares with base."""
    pgd = {name: variants[name]["pgd_accuracy"] for name in names}
    text = f"Most robust under PGD: {sentences.best(pgd)}."
    if "gaussian_noise" in pgd and "base" in pgd:
        noise, base = pgd["gaussian_noise"], pgd["base"]
        text += " " + sentences.compare("gaussian_noise", noise, "base", base) + " under PGD."
    return text


def add_curves(report, config, results):
    variants = results.metrics["variants"]
    names = [name for name in main_names(results) if "curves" in variants[name]]
    report.add_section(
        "Robustness curves",
        f"Accuracy against the attack's eps on the first {config.curve_examples:,} test images; "
        f"PGD uses {config.curve_pgd_steps} steps here. A sound attack gets stronger as eps "
        "grows, and PGD is never weaker than FGSM. " + curve_check(variants, names),
    )
    captions = {
        "fgsm": "FGSM white-box accuracy of each model against eps.",
        "pgd": "PGD white-box accuracy of each model against eps.",
    }
    for kind in ("fgsm", "pgd"):
        report.add_figure(
            plots.line_plot(
                config.curve_epsilons,
                {name: variants[name]["curves"][kind] for name in names},
                "eps (L-infinity, [0, 1] pixels)",
                "test accuracy",
                title=f"{kind.upper()} accuracy against eps",
            ),
            caption=captions[kind],
            computed_by=evaluate.robustness_curves,
            drawn_by=plots.line_plot,
        )
    report.add_table(
        ["model", "attack", *[f"eps {e:g}" for e in config.curve_epsilons]],
        [[n, k.upper(), *variants[n]["curves"][k]] for n in names for k in ("fgsm", "pgd")],
        caption="The curves' numbers.",
        float_format="{:.3f}",
        computed_by=evaluate.robustness_curves,
    )


def curve_check(variants, names):
    """Whether the curves behave as a sound attack's should, read off the numbers."""
    falling = [n for n in names if sentences.direction(variants[n]["curves"]["pgd"]) == "falls"]
    weaker = []
    for name in names:
        curves = variants[name]["curves"]
        if any(p > f + 1e-9 for p, f in zip(curves["pgd"], curves["fgsm"], strict=True)):
            weaker.append(name)
    text = f"Here the PGD curve falls with eps for {len(falling)} of {len(names)} models"
    if weaker:
        return text + f"; PGD scored above FGSM somewhere for {', '.join(weaker)}."
    return text + ", and PGD is at or below FGSM at every eps for every model."


def add_transfer(report, config, results):
    variants = results.metrics["variants"]
    names = [name for name in results.plan["models"] if "transfer" in variants[name]]
    if not names:
        return
    report.add_section(
        "Transfer attacks (NSL's tutorial evaluation)",
        "Perturbations built once on the base model, then shown to every model: this is how "
        "the Neural Structured Learning tutorial scores its regularized model. Against a "
        "robust model a transferred attack should be weaker than a white-box one, so compare "
        "the two columns before trusting either alone.",
    )
    epsilon, steps = config.attack_epsilon, config.attack_pgd_steps
    report.add_table(
        ["model", f"FGSM from base, eps {epsilon}", f"PGD-{steps} from base"]
        + [f"white-box PGD-{config.curve_pgd_steps}"],
        [
            [n, variants[n]["transfer"]["fgsm"], variants[n]["transfer"]["pgd"]]
            + [curve_at(config, variants[n], epsilon)]
            for n in names
        ],
        caption="First curve_examples test images; the white-box column is the PGD curve's "
        "value at the headline eps.",
        float_format="{:.3f}",
        computed_by=evaluate.transfer_accuracy,
    )


def curve_at(config, scores, epsilon, kind="pgd"):
    """The curve's value at `epsilon`, or None when the curve has no such point."""
    if epsilon not in config.curve_epsilons or "curves" not in scores:
        return None
    return scores["curves"][kind][list(config.curve_epsilons).index(epsilon)]


def add_sweeps(report, config, results):
    variants, epsilon = results.metrics["variants"], config.attack_epsilon
    models = results.plan["models"]
    for table, knob in (("multiplier sweep", "adv_multiplier"), ("epsilon sweep", "adv_step_size")):
        names = [name for _, name in results.plan["tables"].get(table, [])]
        if not names:
            continue
        if "adversarial_fgsm" in models:
            names = sorted([*names, "adversarial_fgsm"], key=lambda n: models[n][knob])
        knobs = [models[name][knob] for name in names]
        rows = [
            [name, models[name][knob], variants[name]["curves"]["pgd"][0]]
            + [curve_at(config, variants[name], epsilon, "fgsm")]
            + [curve_at(config, variants[name], epsilon), variants[name]["wall_time_seconds"]]
            for name in names
        ]
        report.add_section(
            f"Sweep: {knob}",
            f"adversarial_fgsm with one value changed. Test accuracy on the first "
            f"{config.curve_examples:,} test images, clean and under white-box PGD-"
            f"{config.curve_pgd_steps} at eps {epsilon}. As {knob} grows "
            f"({' -> '.join(f'{k:g}' for k in knobs)}), "
            + sentences.trend("clean accuracy", [row[2] for row in rows])
            + " and "
            + sentences.trend("PGD accuracy", [row[4] for row in rows])
            + ".",
        )
        report.add_table(
            ["model", knob, "clean", f"FGSM {epsilon}", f"PGD {epsilon}", "train time (s)"],
            rows,
            float_format="{:.3f}",
            computed_by=evaluate.robustness_curves,
        )
        report.add_figure(
            plots.line_plot(
                knobs,
                {"clean": [row[2] for row in rows], f"PGD eps {epsilon}": [row[4] for row in rows]},
                knob,
                "test accuracy",
                title=f"The {knob} trade-off",
            ),
            caption=SWEEP_CAPTIONS[knob],
            computed_by=evaluate.robustness_curves,
            drawn_by=plots.line_plot,
        )


SWEEP_CAPTIONS = {
    "adv_multiplier": "Clean and PGD accuracy as the adversarial loss weight grows.",
    "adv_step_size": "Clean and PGD accuracy as the training epsilon grows.",
}
