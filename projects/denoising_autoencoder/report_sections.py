"""The sections of the autoencoder report on denoising, budgets, ablations, contraction and
representations, one function each, each drawn from saved results only."""

from common.report import plots, sentences
from projects.denoising_autoencoder import evaluate, probes

SUBJECTS = {"fashion_mnist": "what the garment is", "cifar10": "what the picture shows"}
UNET_NOTE = (
    "How the U-Net denoises. An undercomplete autoencoder must squeeze each image through "
    "its code, so fine detail is lost. A denoising autoencoder does not need a bottleneck to "
    "avoid learning the identity: the noise already makes copying useless (Section 14.2.2). The "
    "U-Net uses that freedom: its decoder also receives the encoder's full- and half-size "
    "feature maps (skip connections), so the coarse code only has to say {subject}, and the "
    "skips say where its edges are. Three training choices helped at equal time in short "
    "trials: batch normalization (Section 8.7.1, +0.24 dB); batches of 64 instead of 128, "
    "which make more updates per second here; and the loss is the mean over images "
    "of 10 log10(MSE), which is exactly minus the mean PSNR of these tables, where plain MSE "
    "lets the hardest images dominate (a surrogate loss matched to the metric, Section 8.1.2). "
    "Its input also carries two indicator channels for the pixels the noise clipped to 0 or 1: "
    "a pixel read as exactly 0 only says that x + noise <= 0, a censored observation that "
    "weighs the clean value differently from a dark grey pixel, and a convolution alone hardly "
    "tells the two apart (+0.03 dB at equal steps). A fourth training choice: the rate first "
    "rises linearly from zero over {warmup:.0%} of the training (a warm-up: Adam's first moment "
    "estimates and batch normalization's first statistics are poor, so the first steps are "
    "kept small), then decays to zero along a {decay} curve (Section 8.3.1; in 2,000-step "
    "trials on two seeds, a 10 % warm-up and a linear decay scored +0.10 and +0.15 dB over a "
    "cosine decay without warm-up)."
)
BUDGET_FIELDS = ("epochs", "batch_size", "learning_rate", "warmup_fraction", "decay")
CHANGE_FIELDS = ("architecture", "loss", "output_activation", "code_size", "noise_sigma")
ABLATION_TITLES = {
    "loss": "Reconstruction cost: MSE vs MAE vs binary cross-entropy vs per-image log MSE",
    "output": "Output unit: sigmoid vs linear",
    "bottleneck": "Bottleneck size",
    "sigma": "Training noise level (the sigma sweep)",
}


def add_unet_note(report, config, variants):
    """The explanation of the U-Net, with its measured gain over the bottleneck models."""
    if "unet_denoising" not in variants:
        return
    unet_psnr = variants["unet_denoising"]["psnr_noisy"]
    others = [name for name in ("conv_denoising", "denoising_gaussian") if name in variants]
    gains = ", ".join(
        f"{unet_psnr - variants[name]['psnr_noisy']:+.2f} dB over {name}" for name in others
    )
    note = UNET_NOTE.format(
        subject=SUBJECTS[config.dataset],
        warmup=config.unet_warmup_fraction,
        decay=config.unet_decay,
    )
    report.add_text(
        note + (f" Measured here at sigma {config.noise_sigma}: {gains}." * bool(gains))
    )


def budget_sentence(models, names):
    """Which models share a training budget (epochs, batch, peak rate, schedule), read off the
    plan's configs: e.g. the dense models one, the U-Net its own."""
    groups = {}
    for name in names:
        model = models[name]
        groups.setdefault(tuple(model[field] for field in BUDGET_FIELDS), []).append(name)
    parts = []
    for (epochs, batch, rate, warmup, decay), members in groups.items():
        warm = f"a {warmup:.0%} warm-up, then " if warmup else ""
        who = "all models" if len(groups) == 1 else ", ".join(members)
        parts.append(
            f"{who}: up to {epochs} epochs of batches of {batch}, Adam at peak rate {rate:g}, "
            f"{warm}a {decay} decay to zero"
        )
    return "Training budgets: " + "; ".join(parts) + "."


def add_noise_curves(report, config, results):
    metrics, sigmas = results.metrics, config.evaluation_sigmas
    variants = metrics["variants"]
    report.add_section(
        "PSNR against noise level",
        "Test PSNR of each model's reconstruction as Gaussian noise on its input grows. The "
        "'noisy input' curve is the corrupted image itself: a model helps where it lies above.",
    )
    curves = {name: variants[name]["psnr_curve"] for _, name in results.plan["tables"]["main"]}
    curves["noisy input (no model)"] = metrics["noisy_input_psnr_curve"]
    report.add_figure(
        plots.line_plot(sigmas, curves, "Gaussian noise sigma", "test PSNR (dB)"),
        caption="One curve per model; trained noise levels in the table above.",
        computed_by=evaluate.noise_curve,
        drawn_by=plots.line_plot,
    )
    sweep = [name for _, name in results.plan["tables"].get("sigma", [])]
    if not sweep or "denoising_gaussian" not in variants:
        return
    models = results.plan["models"]
    names = sorted([*sweep, "denoising_gaussian"], key=lambda n: models[n]["noise_sigma"])
    rows = [[models[n]["noise_sigma"], *variants[n]["psnr_curve"]] for n in names]
    report.add_text(
        "The sigma sweep: the same dense denoising autoencoder trained at several noise "
        "levels. Rows: training sigma; columns: test sigma. " + sweep_sentence(rows, sigmas)
    )
    report.add_table(
        ["training sigma", *[f"test {s:g}" for s in sigmas]],
        rows,
        caption="Test PSNR (dB) of each training sigma (rows) at each test sigma (columns).",
        float_format="{:.2f}",
        computed_by=evaluate.noise_curve,
    )


def sweep_sentence(rows, sigmas):
    """For each test sigma, which training sigma did best, and how often the model trained at
    a test level was the best there, read off the sweep table's rows."""
    best = []
    matched = own = 0
    for column, sigma in enumerate(sigmas, start=1):
        scores = {f"{row[0]:g}": row[column] for row in rows}
        label = max(scores, key=scores.get)
        best.append(f"{sigma:g} -> {label}")
        if f"{sigma:g}" in scores:
            own += 1
            matched += label == f"{sigma:g}"
    return (
        f"Best training sigma for each test sigma: {', '.join(best)}. The model trained at a "
        f"test level was the best at that level in {matched} of {own} columns."
    )


def add_ablations(report, config, results):
    """One table per ablation, each against the base model (dense Gaussian denoiser)."""
    variants, models, tables = (
        results.metrics["variants"],
        results.plan["models"],
        results.plan["tables"],
    )
    base = "denoising_gaussian"
    if base not in variants:
        return
    groups = [
        (ABLATION_TITLES[table], [name for _, name in rows])
        for table, rows in tables.items()
        if table in ABLATION_TITLES and table != "sigma" and rows
    ]
    convolutional = [n for n in ("conv_denoising", "unet_denoising") if n in variants]
    if convolutional:
        groups.append(("Convolutional vs dense (each with its own budget)", convolutional))
    if not groups:
        return
    sigma = config.noise_sigma
    report.add_section(
        "Ablations",
        f"Each table changes one thing in the dense Gaussian denoiser ({base}: MSE, sigmoid "
        f"output, {config.code_size}-unit code, sigma {sigma}) and keeps everything else, but "
        "the last, which compares architectures that also train on their own budgets; the "
        "'change' column lists every field that differs from the base model.",
    )
    columns = ["model", "change", "parameters", "PSNR clean in", f"PSNR sigma {sigma}"]
    columns += [f"SSIM sigma {sigma}", "wall time (s)"]
    for title, names in groups:
        report.add_text(title)
        rows = [
            [name, describe_change(models[base], models[name])]
            + [variants[name][key] for key in ("parameters", "psnr_clean", "psnr_noisy")]
            + [variants[name]["ssim_noisy"], variants[name]["wall_time_seconds"]]
            for name in [base, *names]
        ]
        report.add_table(columns, rows, float_format="{:.3f}", computed_by=evaluate.score)


def describe_change(base, model):
    """The fields of a model's config that differ from the base model's, as `field: value`."""
    changes = [
        f"{field}: {model[field]}"
        for field in (*CHANGE_FIELDS, *BUDGET_FIELDS)
        if model[field] != base[field]
    ]
    return ", ".join(changes) or "base"


def add_contraction(report, config, variants):
    names = [n for n, row in variants.items() if row["jacobian_norm"] is not None]
    if not names:
        return
    report.add_section(
        "Contraction: the encoder's Jacobian",
        "||df/dx||_F, the Frobenius norm of the encoder's Jacobian, averaged over test "
        "images: how far the code moves when the input moves a little. The contractive "
        "penalty (Sections 14.2.3, 14.7) makes it small; denoising has a similar effect "
        "(Alain and Bengio, 2013, cited in 14.2.3). Computed exactly, in closed form, for "
        "the dense encoders; for the convolutional ones (thousands of code units) estimated "
        f"from {config.jacobian_probes} random projections per image, E||J^T u||^2 = "
        "||J||_F^2 for u ~ N(0, I) (Hutchinson's trace estimator), on "
        f"{config.jacobian_images} test images. Codes of different sizes are not directly "
        "comparable: a code with more units has more rows in J. Smallest here: "
        + sentences.best({n: variants[n]["jacobian_norm"] for n in names}, False, "{:.2f}")
        + ".",
    )
    report.add_figure(
        plots.bar_chart(
            names,
            [variants[n]["jacobian_norm"] for n in names],
            "mean ||df/dx||_F on test images",
            annotations=[f"{variants[n]['jacobian_norm']:.2f}" for n in names],
        ),
        caption="Lower: a more contractive encoder.",
        computed_by=evaluate.jacobian_norm,
        drawn_by=plots.bar_chart,
    )


def add_representations(report, config, metrics):
    accuracies, robustness = metrics["probe_accuracy"], metrics["probe_robustness"]
    counts = [str(count) for count in config.probe_label_counts]
    fewest = counts[0]
    report.add_section(
        "Representation learning: linear probes on frozen codes",
        "Each encoder is frozen and a linear softmax classifier is trained on its codes with "
        "few labels, against the same classifier on raw pixels. A good code makes classes "
        "linearly separable with fewer labels (Section 15.1). Best with "
        + (f"{int(fewest):,} labels" if int(fewest) else "all labels")
        + " here: "
        + sentences.best({name: accuracies[name][fewest] for name in accuracies})
        + ". Test accuracy:",
    )
    report.add_table(
        ["features", *[f"{int(c):,} labels" if int(c) else "all labels" for c in counts]],
        [[name, *[accuracies[name][c] for c in counts]] for name in accuracies],
        caption="Same labelled images, same classifier and budget for every row.",
        computed_by=probes.probe_table,
    )
    report.add_figure(
        plots.line_plot(
            config.evaluation_sigmas,
            {name: list(robustness[name].values()) for name in robustness},
            "Gaussian noise sigma on test inputs",
            "probe test accuracy",
        ),
        caption="Robustness: the probe (trained on clean codes, most labels) on noisy inputs.",
        computed_by=probes.probe_table,
        drawn_by=plots.line_plot,
    )
