"""The report's sections on denoising, ablations, sparsity, contraction and representations."""

import numpy as np

from common.report import plots
from projects.denoising_autoencoder import evaluate, regularizers, unet

SHORT_NAMES = {
    "denoising_gaussian": "dense DAE",
    "conv_denoising": "conv DAE",
    "unet_denoising": "U-Net DAE",
    "denoising_salt_pepper": "dense DAE",
    "denoising_masking": "dense DAE",
}
ABLATION_TITLES = {
    "loss": (
        "Reconstruction cost: MSE vs MAE vs binary cross-entropy vs per-image log MSE",
        "loss_",
    ),
    "output": ("Output unit: sigmoid vs linear", "output_"),
    "bottleneck": ("Bottleneck size", "code_"),
}


def add_image_grids(report, config, datasets, models):
    """Noisy / reconstructed / clean rows for each noise type and level."""
    report.add_section(
        "Noisy, reconstructed and clean images",
        "Each grid: the corrupted test images (top row), what the denoising models make of "
        "them (DAE: denoising autoencoder), and the clean originals (bottom row). The models "
        "never saw these images.",
    )
    indices = sample_indices(datasets.test_labels)
    clean = datasets.test_images[indices]
    denoisers = ("denoising_gaussian", "conv_denoising", "unet_denoising")
    settings = [("gaussian", s, denoisers) for s in (0.3, 0.5, 0.7)]
    settings += [
        ("salt_pepper", config.salt_pepper_amount, ("denoising_salt_pepper",)),
        ("masking", config.masking_fraction, ("denoising_masking",)),
    ]
    for kind, level, names in settings:
        names = [name for name in names if name in models]
        if not names:
            continue
        noisy = datasets.noisy_test_images(kind, level)[indices]
        rows = [(f"noisy {level:g}", noisy)]
        rows += [(SHORT_NAMES[name], evaluate.reconstruct(models[name], noisy)) for name in names]
        rows.append(("clean", clean))
        report.add_image_grid(
            np.concatenate([images for _, images in rows]),
            [label for label, images in rows for _ in images],
            caption=f"{kind.replace('_', '-')} noise, level {level:g}: rows top to bottom are "
            + ", ".join(label for label, _ in rows)
            + ".",
            columns=len(indices),
        )


def add_unet_note(report, config, variants):
    """The explanation of the headline denoiser, with its gain over the bottleneck models."""
    unet_psnr = variants["unet_denoising"]["psnr_noisy"]
    others = [name for name in ("conv_denoising", "denoising_gaussian") if name in variants]
    gains = ", ".join(
        f"{unet_psnr - variants[name]['psnr_noisy']:+.2f} dB over {name}" for name in others
    )
    report.add_text(
        unet.REPORT_NOTE
        + (f" Measured here at sigma {config.noise_sigma}: {gains}." if gains else "")
    )


def sample_indices(labels, count=8):
    """The first test image of each of `count` classes: a varied, repeatable strip."""
    return np.array([np.flatnonzero(labels == c)[0] for c in np.unique(labels)[:count]])


def add_noise_curves(report, config, metrics):
    variants, sigmas = metrics["variants"], config.evaluation_sigmas
    report.add_section(
        "PSNR against noise level",
        "Test PSNR of each model's reconstruction as Gaussian noise on its input grows. The "
        "'noisy input' curve is the corrupted image itself: a model helps where it lies above.",
    )
    curves = {name: variants[name]["psnr_curve"] for name in config.variants}
    curves["noisy input (no model)"] = metrics["noisy_input_psnr_curve"]
    report.add_figure(
        plots.line_plot(sigmas, curves, "Gaussian noise sigma", "test PSNR (dB)"),
        caption="One curve per model; trained noise levels in the table above.",
    )
    sweep = [name for name in variants if name.startswith("sigma_")]
    if sweep:
        names = sorted([*sweep, "denoising_gaussian"], key=lambda n: training_sigma(n, config))
        report.add_text(
            "The sigma sweep: the same dense denoising autoencoder trained at several noise "
            "levels. Rows: training sigma; columns: test sigma."
        )
        report.add_table(
            ["training sigma", *[f"test {s:g}" for s in sigmas]],
            [[training_sigma(n, config), *variants[n]["psnr_curve"]] for n in names],
            caption="Test PSNR (dB). Each model is best near the noise level it was trained on.",
            float_format="{:.2f}",
        )


def training_sigma(name, config):
    return config.noise_sigma if name == "denoising_gaussian" else float(name.split("_")[1])


def add_ablations(report, config, plan, variants):
    """One table per ablation, each against the base model (dense Gaussian denoiser)."""
    base = "denoising_gaussian"
    if base not in variants:
        return
    sigma = config.noise_sigma
    groups = [(title, [n for n in variants if n.startswith(prefix)]) for title, prefix in (
        ABLATION_TITLES[a] for a in config.ablations if a in ABLATION_TITLES
    )]  # fmt: skip
    convolutional = [n for n in ("conv_denoising", "unet_denoising") if n in variants]
    if convolutional:
        groups.append(("Convolutional vs dense", convolutional))
    groups = [(title, names) for title, names in groups if names]
    if not groups:
        return
    report.add_section(
        "Ablations",
        f"Each table changes one thing in the dense Gaussian denoiser ({base}: MSE, sigmoid "
        f"output, {config.code_size}-unit code, sigma {sigma}) and keeps everything else.",
    )
    columns = ["model", "change", "parameters", "PSNR clean in", f"PSNR sigma {sigma}"]
    columns += [f"SSIM sigma {sigma}", "wall time (s)"]
    for title, names in groups:
        report.add_text(title)
        rows = [
            [
                name,
                describe_change(plan[base], plan[name]),
                variants[name]["parameters"],
                variants[name]["psnr_clean"],
                variants[name]["psnr_noisy"],
                variants[name]["ssim_noisy"],
                variants[name]["wall_time_seconds"],
            ]
            for name in [base, *names]
        ]
        report.add_table(columns, rows, float_format="{:.3f}")


def describe_change(base, variant):
    changes = [
        f"{field}: {getattr(variant, field)}"
        for field in ("architecture", "loss", "output_activation", "code_size", "noise_level")
        if getattr(variant, field) != getattr(base, field)
    ]
    return ", ".join(changes) or "base"


def add_sparsity(report, config, datasets, models, variants):
    if not {"sparse_kl", "sparse_l1"} & set(models):
        return
    names = [n for n in ("sparse_kl", "sparse_l1", "undercomplete") if n in models]
    rho = config.sparsity_target
    report.add_section(
        "Sparse codes: L1 and KL penalties",
        "A sparse autoencoder (Section 14.2.1) adds S(h) to the reconstruction error, so that "
        "few code units are active for each image. The L1 penalty sum_j |h_j| drives units to "
        "exactly zero. The KL penalty treats each sigmoid unit as a coin that comes up 1 with "
        "probability rho_hat_j, its mean activation over a batch, and charges KL(rho || "
        f"rho_hat_j) for differing from the target rho = {rho}.\n\n"
        "Section 3.13: the entropy H(P) = -E_P[log P(x)] is the average number of nats needed "
        "to code samples of P with a code made for P. Coding them with a code made for Q "
        "costs the cross-entropy H(P, Q) = -E_P[log Q(x)], and the excess, KL(P || Q) = "
        "H(P, Q) - H(P) = E_P[log P(x) - log Q(x)], is never negative and is zero only when "
        "Q = P. For coins: KL(rho || q) = rho log(rho / q) + (1 - rho) log((1 - rho) / (1 - q)). "
        "It is not symmetric: KL(rho || q) grows without bound as q nears 0 or 1.",
    )
    rows = []
    for name in names:
        codes = evaluate.encode(models[name].get_layer("encoder"), datasets.test_images)
        mean_activation = codes.mean(axis=0)
        kl = float(np.sum(regularizers.bernoulli_kl(rho, np.clip(mean_activation, 1e-7, 1 - 1e-7))))
        rows.append([name, float(np.mean(np.abs(codes))), variants[name]["inactive_fraction"], kl])
        report.add_figure(
            plots.histogram(codes, bins=60, title=name, xlabel="code activation h_j"),
            caption=f"{name}: all code activations on the test set.",
        )
    report.add_table(
        ["model", "mean |h_j|", "inactive fraction", f"sum_j KL({rho} || mean h_j)"],
        rows,
        caption="KL is meaningful for sigmoid codes (values in [0, 1]); for the others it only "
        "says how far their mean activations are from the target.",
    )


def add_contraction(report, variants):
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
        f"from {evaluate.JACOBIAN_PROBES} random projections per image, E||J^T u||^2 = "
        "||J||_F^2 for u ~ N(0, I) (Hutchinson's trace estimator), on "
        f"{evaluate.JACOBIAN_IMAGES} test images. Codes of different sizes are not directly "
        "comparable: a code with more units has more rows in J.",
    )
    report.add_figure(
        plots.bar_chart(
            names,
            [variants[n]["jacobian_norm"] for n in names],
            "mean ||df/dx||_F on test images",
            annotations=[f"{variants[n]['jacobian_norm']:.2f}" for n in names],
        ),
        caption="Lower: a more contractive encoder.",
    )


def add_representations(report, config, datasets, models, metrics):
    accuracies, robustness = metrics["probe_accuracy"], metrics["probe_robustness"]
    counts = config.probe_label_counts
    report.add_section(
        "Representation learning: linear probes on frozen codes",
        "Each encoder is frozen and a linear softmax classifier is trained on its codes with "
        "few labels, against the same classifier on raw pixels. A good code makes classes "
        "linearly separable with fewer labels (Section 15.1). Test accuracy:",
    )
    report.add_table(
        ["features", *[f"{c:,} labels" if c else "all labels" for c in counts]],
        [[name, *[accuracies[name][c] for c in counts]] for name in accuracies],
        caption="Same labelled images, same classifier and budget for every row.",
    )
    report.add_figure(
        plots.line_plot(
            config.evaluation_sigmas,
            {name: list(robustness[name].values()) for name in robustness},
            "Gaussian noise sigma on test inputs",
            "probe test accuracy",
        ),
        caption="Robustness: the probe (trained on clean codes, most labels) on noisy inputs.",
    )
    sample = slice(0, evaluate.PCA_IMAGES)
    for name in ("undercomplete", "denoising_gaussian"):
        if name in models:
            codes = evaluate.encode(models[name].get_layer("encoder"), datasets.test_images[sample])
            report.add_figure(
                plots.scatter_2d(
                    evaluate.pca_2d(codes),
                    datasets.test_labels[sample],
                    datasets.class_names,
                    title=f"{name}: codes on the first two principal components",
                ),
                caption=f"PCA of {name} codes of {len(codes):,} test images, coloured by class.",
            )
