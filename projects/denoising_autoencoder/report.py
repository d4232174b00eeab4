"""The autoencoder report, drawn from a run's saved results only.

Sections in reading order: the autoencoders and their scores, how the U-Net denoises, image
grids, PSNR against noise level (and the sigma sweep), ablations, sparse codes, contraction,
linear probes on the codes, learning curves, data. Each figure and table names the function that
computed it and the one that drew it.
"""

from common.nn import recorder
from common.report import plots, sentences
from common.report import report as report_lib
from projects.denoising_autoencoder import evaluate, report_pictures, report_sections

TITLES = {"fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}
SUMMARY = (
    "Autoencoders from Chapter 14 of the book, each an encoder f and a decoder g trained to give "
    "back clean images, on the same data and seed. They differ in what keeps them from learning "
    "the identity: a small code, noise on the input, or a penalty on the code or on the "
    "encoder's Jacobian. The convolutional models train with their own budget (epochs, batch "
    "size, learning rate: listed under the results table). Every number below comes from the "
    "test set, used once after training."
)
DESCRIPTIONS = {
    "undercomplete": "linear code of code_size units; J = L(x, g(f(x)))  (14.1)",
    "denoising_gaussian": "J = L(x, g(f(n(x)))), n: Gaussian noise  (14.2.2)",
    "denoising_salt_pepper": "J = L(x, g(f(n(x)))), n: salt-and-pepper  (14.2.2)",
    "denoising_masking": "J = L(x, g(f(n(x)))), n: masking (pixels set to 0)  (14.2.2)",
    "sparse_l1": "J + l1 * sum_j |h_j|, ReLU code  (14.2.1)",
    "sparse_kl": "J + beta * sum_j KL(rho || mean h_j), sigmoid code  (14.2.1, 3.13)",
    "contractive": "J + lambda * ||df/dx||_F^2, sigmoid code  (14.2.3, 14.7)",
    "predictive": "L(x, g(h)) + l1 |h|_1 + gamma ||h - f(x)||^2, h then (f, g) in turns  (14.6)",
    "conv_denoising": "Gaussian denoising with a convolutional f and g  (14.2.2, Ch. 9)",
    "unet_denoising": "Gaussian denoising, U-Net: skip connections from f to g, batch norm, "
    "loss mean_i log MSE_i (= minus the mean PSNR)  (14.2.2, 8.7.1)",
}


def build_report(results):
    """Returns a `common.report.Report` with every section filled from the saved results."""
    config, metrics = results.config, results.metrics
    report = report_lib.Report(
        "denoising_autoencoder",
        "Autoencoders: undercomplete, denoising, sparse, contractive, predictive "
        f"({TITLES[config.dataset]})",
        SUMMARY,
    )
    report_lib.add_run_banners(report, results)
    add_headline(report, config, metrics)
    add_variants(report, config, results)
    report_sections.add_unet_note(report, config, metrics["variants"])
    report_pictures.add_image_grids(report, results)
    report_sections.add_noise_curves(report, config, results)
    report_sections.add_ablations(report, config, results)
    report_pictures.add_sparsity(report, config, results)
    report_sections.add_contraction(report, config, metrics["variants"])
    report_sections.add_representations(report, config, metrics)
    report_pictures.add_code_projections(report, results)
    add_learning_curves(report, results)
    report.add_section(
        "Data",
        f"{results.data_source.get('description', '')}. {metrics['train_images']:,} training "
        f"and {metrics['validation_images']:,} validation images (carved from the training set "
        f"with a seeded, stratified split), {metrics['test_images']:,} test images. Noisy "
        "validation and test images are drawn once with fixed seeds, so every model is scored "
        "on the same noise.",
    )
    return report


def add_headline(report, config, metrics):
    name, sigma = metrics["headline_variant"], config.noise_sigma
    report.add_metric(
        f"{name}: test PSNR at sigma {sigma} (dB)", metrics["test_psnr"], "{:.2f}", True
    )
    report.add_metric(f"{name}: test SSIM at sigma {sigma}", metrics["test_ssim"], "{:.3f}")
    if sigma in config.evaluation_sigmas:
        noisy_psnr = metrics["noisy_input_psnr_curve"][config.evaluation_sigmas.index(sigma)]
        report.add_metric("noisy input PSNR (dB)", noisy_psnr, "{:.2f}")
    report.add_metric("training time (s)", metrics["training_time_seconds"], "{:.0f}")


def main_names(results):
    return [name for _, name in results.plan["tables"].get("main", [])]


def add_variants(report, config, results):
    variants, sigma, names = results.metrics["variants"], config.noise_sigma, main_names(results)
    report.add_section(
        "The autoencoders",
        "Each model learns h = f(x) and r = g(h). PSNR (peak signal-to-noise ratio, "
        "10 log10(1 / MSE), in dB; higher is better) and SSIM (structural similarity, 1 is "
        "perfect) compare g(f(x)) with the clean test image: once from the clean image, once "
        f"from the image with Gaussian noise of sigma {sigma} added and clipped to [0, 1]. "
        "Models that never saw noise in training are scored on noise too: that is what the "
        "denoising criterion is for. Code L1 is the mean |h_j|; 'inactive' is the fraction of "
        f"code values with |h_j| < {config.active_threshold}; ||J|| is the encoder's Jacobian "
        "Frobenius norm on test images: exact for the dense encoders; for the convolutional "
        f"ones (marked 'est.'), Hutchinson's estimate from {config.jacobian_probes} random "
        "projections per image.",
    )
    report.add_table(
        ["model", "training criterion (book section)", "parameters"],
        [[name, DESCRIPTIONS[name], variants[name]["parameters"]] for name in names],
        caption="What each model minimizes; n(x) is the corruption, h = f(x) the code.",
    )
    columns = ["model", "PSNR clean in", f"PSNR sigma {sigma}", f"SSIM sigma {sigma}"]
    columns += ["PSNR own noise", "||J||", "inactive", "epochs", "wall time (s)"]
    rows = []
    for name in names:
        row = variants[name]
        norm = f"{row['jacobian_norm']:.3f}" + " est." * bool(row.get("jacobian_estimated"))
        rows.append(
            [name, row["psnr_clean"], row["psnr_noisy"], row["ssim_noisy"]]
            + [row.get("psnr_own_noise"), norm, row["inactive_fraction"], row["epochs_run"]]
            + [row["wall_time_seconds"]]
        )
    report.add_table(
        columns,
        rows,
        caption="Test set. PSNR in dB. 'Own noise': the salt-and-pepper or masking model scored "
        "on the noise it was trained on. Same data and seed for all; budgets below.",
        float_format="{:.3f}",
        computed_by=evaluate.score,
    )
    report.add_text(
        report_sections.budget_sentence(results.plan["models"], names)
        + " "
        + sentences.early_stopping([results.training[name] for name in names])
    )
    report.add_figure(
        plots.bar_chart(
            names,
            [variants[name]["psnr_noisy"] for name in names],
            f"test PSNR at sigma {sigma} (dB)",
            annotations=[f"{variants[n]['psnr_noisy']:.1f}" for n in names],
        ),
        caption="Denoising Gaussian noise of the headline sigma: PSNR of g(f(n(x))) against x.",
        computed_by=evaluate.score,
        drawn_by=plots.bar_chart,
    )


def add_learning_curves(report, results):
    name = results.metrics["headline_variant"]
    summary = results.metrics["variants"][name]
    record = results.training[name]
    first = summary["first_recorded_epoch"]
    report.add_section(
        f"Learning curves of the headline denoiser ({name})",
        f"Solid: training; dashed: validation. {record['early_stopping']['stop_reason']} "
        + sentences.early_stopping([record])
        + f" This training was resumed: the curves start at its epoch {first}." * (first > 1),
    )
    report.add_figure(
        plots.learning_curves(record["history"], best_epoch=summary["best_epoch"] - first + 1),
        caption="Training and validation loss and PSNR per recorded epoch (numbered from the "
        "first recorded one); vertical line: the epoch kept.",
        computed_by=recorder.TrainingRecorder,
        drawn_by=plots.learning_curves,
    )
