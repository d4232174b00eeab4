"""The report's pictures of images and codes: noisy / reconstructed / clean grids, histograms
of code activations, PCA of the codes; each drawn from saved arrays only."""

import numpy as np

from common.report import plots
from projects.denoising_autoencoder import codes, evaluate

SHORT_NAMES = {
    "denoising_gaussian": "dense DAE",
    "conv_denoising": "conv DAE",
    "unet_denoising": "U-Net DAE",
    "denoising_salt_pepper": "dense DAE",
    "denoising_masking": "dense DAE",
}


def add_image_grids(report, results):
    """Noisy / reconstructed / clean rows for each noise type and level."""
    arrays = results.arrays
    report.add_section(
        "Noisy, reconstructed and clean images",
        "Each grid: the corrupted test images (top row), what the denoising models make of "
        "them (DAE: denoising autoencoder), and the clean originals (bottom row). The models "
        "never saw these images.",
    )
    clean = arrays["grid/clean"]
    for kind, level, names in evaluate.grid_settings(results.config):
        prefix = f"grid/{kind}_{level:g}/"
        if prefix + "noisy" not in arrays:
            continue
        rows = [(f"noisy {level:g}", arrays[prefix + "noisy"])]
        rows += [(SHORT_NAMES[n], arrays[prefix + n]) for n in names if prefix + n in arrays]
        rows.append(("clean", clean))
        report.add_text(
            f"{kind.replace('_', '-')} noise, level {level:g}: rows top to bottom are "
            + ", ".join(label for label, _ in rows)
            + "."
        )
        report.add_image_grid(
            np.concatenate([images for _, images in rows]),
            [label for label, images in rows for _ in images],
            caption="Noisy test images, what each denoiser makes of them, and the originals: "
            f"{kind.replace('_', '-')} noise, level {level:g}.",
            columns=len(clean),
            computed_by=evaluate.image_grids,
        )


def add_sparsity(report, config, results):
    table = results.metrics["sparsity"]
    if not {"sparse_kl", "sparse_l1"} & set(table):
        return
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
    for name in table:
        report.add_text(f"{name}: all code activations on the test set.")
        report.add_figure(
            plots.histogram(
                results.arrays[f"codes/{name}"], bins=60, title=name, xlabel="code activation h_j"
            ),
            caption=f"Code activations h_j of every test image: {name}.",
            computed_by=codes.code_activations,
            drawn_by=plots.histogram,
        )
    report.add_table(
        ["model", "mean |h_j|", "inactive fraction", f"sum_j KL({rho} || mean h_j)"],
        [
            [name, row["mean_abs_code"], row["inactive_fraction"], row["kl"]]
            for name, row in table.items()
        ],
        caption="KL is meaningful for sigmoid codes (values in [0, 1]); for the others it only "
        "says how far their mean activations are from the target.",
        computed_by=codes.sparsity_table,
    )


def add_code_projections(report, results):
    arrays, class_names = results.arrays, results.metrics["class_names"]
    for name in codes.PROJECTED_MODELS:
        if f"pca/{name}" not in arrays:
            continue
        points = arrays[f"pca/{name}"]
        report.add_text(f"PCA of {name} codes of {len(points):,} test images, coloured by class.")
        report.add_figure(
            plots.scatter_2d(
                points,
                arrays["pca/labels"],
                class_names,
                title=f"{name}: codes on the first two principal components",
            ),
            caption="Codes of test images on their first two principal components, by class: "
            f"{name}.",
            computed_by=codes.code_projections,
            drawn_by=plots.scatter_2d,
        )
