"""What the autoencoder report shows, in the order a reader needs it."""

from common.report import plots
from common.report import report as report_lib
from projects.denoising_autoencoder import evaluate
from projects.denoising_autoencoder import report_sections as sections

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


def build(config, datasets, plan, models, results, metrics):
    """Returns a `common.report.Report` with every section filled from this run's numbers."""
    title = {"fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}[config.dataset]
    report = report_lib.Report(
        "denoising_autoencoder",
        f"Autoencoders: undercomplete, denoising, sparse, contractive, predictive ({title})",
        "Autoencoders from Chapter 14 of the book, each an encoder f and a decoder g trained to "
        "give back clean images, on the same data, budget and seed. They differ in what keeps "
        "them from learning the identity: a small code, noise on the input, or a penalty on the "
        "code or on the encoder's Jacobian. Every number below comes from the test set, used "
        "once after training.",
    )
    report_lib.add_run_banners(report, datasets.source, results)
    variants, sigma = metrics["variants"], config.noise_sigma
    best = metrics["headline_variant"]
    report.add_metric(
        f"{best}: test PSNR at sigma {sigma} (dB)", metrics["test_psnr"], "{:.2f}", True
    )
    report.add_metric(f"{best}: test SSIM at sigma {sigma}", metrics["test_ssim"], "{:.3f}")
    if sigma in config.evaluation_sigmas:
        noisy_psnr = metrics["noisy_input_psnr_curve"][config.evaluation_sigmas.index(sigma)]
        report.add_metric("noisy input PSNR (dB)", noisy_psnr, "{:.2f}")
    report.add_metric("training time (s)", metrics["training_time_seconds"], "{:.0f}")
    add_variants(report, config, plan, variants)
    if "unet_denoising" in variants:
        sections.add_unet_note(report, config, variants)
    sections.add_image_grids(report, config, datasets, models)
    sections.add_noise_curves(report, config, metrics)
    sections.add_ablations(report, config, plan, variants)
    sections.add_sparsity(report, config, datasets, models, variants)
    sections.add_contraction(report, variants)
    sections.add_representations(report, config, datasets, models, metrics)
    first = variants[best]["first_recorded_epoch"]
    resumed = f" This training was resumed: the curves start at its epoch {first}." * (first > 1)
    report.add_section(
        f"Learning curves of the headline denoiser ({best})",
        f"Solid: training; dashed: validation. {results[best]['early_stopping']['stop_reason']}"
        + resumed,
    )
    report.add_figure(
        plots.learning_curves(
            results[best]["history"], best_epoch=variants[best]["best_epoch"] - first + 1
        ),
        caption="Training and validation loss and PSNR per recorded epoch (numbered from the "
        "first recorded one); vertical line: the epoch kept.",
    )
    report.add_section(
        "Data",
        f"{datasets.source.describe()}. {datasets.train_size:,} training and "
        f"{datasets.validation_size:,} validation images (carved from the training set with a "
        f"seeded, stratified split), {len(datasets.test_labels):,} test images. Noisy "
        "validation and test images are drawn once with fixed seeds, so every model is scored "
        "on the same noise.",
    )
    return report


def add_variants(report, config, plan, variants):
    sigma = config.noise_sigma
    report.add_section(
        "The autoencoders",
        f"Each model learns h = f(x) and r = g(h). PSNR (peak signal-to-noise ratio, "
        f"10 log10(1 / MSE), in dB; higher is better) and SSIM (structural similarity, 1 is "
        f"perfect) compare g(f(x)) with the clean test image: once from the clean image, once "
        f"from the image with Gaussian noise of sigma {sigma} added and clipped to [0, 1]. "
        "Models that never saw noise in training are scored on noise too: that is what the "
        "denoising criterion is for. Code L1 is the mean |h_j|; 'inactive' is the fraction of "
        f"code values with |h_j| < {evaluate.ACTIVE_THRESHOLD}; ||J|| is the encoder's Jacobian "
        "Frobenius norm on test images: exact for the dense encoders; for the convolutional "
        f"ones, Hutchinson's estimate from {evaluate.JACOBIAN_PROBES} random projections "
        "per image.",
    )
    names = [name for name in config.variants if name in variants]
    report.add_table(
        ["model", "training criterion (book section)", "parameters"],
        [[name, DESCRIPTIONS[name], variants[name]["parameters"]] for name in names],
        caption="What each model minimizes; n(x) is the corruption, h = f(x) the code.",
    )
    columns = ["model", "PSNR clean in", f"PSNR sigma {sigma}", f"SSIM sigma {sigma}"]
    columns += ["PSNR own noise", "||J||", "inactive", "epochs", "wall time (s)"]
    numbers = ["psnr_clean", "psnr_noisy", "ssim_noisy", "psnr_own_noise", "jacobian_norm"]
    numbers += ["inactive_fraction", "epochs_run", "wall_time_seconds"]
    report.add_table(
        columns,
        [[name, *[variants[name].get(key) for key in numbers]] for name in names],
        caption="Test set. PSNR in dB. 'Own noise': the salt-and-pepper or masking model scored "
        "on the noise it was trained on. Same data, epochs budget, seed and optimizer for all.",
        float_format="{:.3f}",
    )
    report.add_figure(
        plots.bar_chart(
            names,
            [variants[name]["psnr_noisy"] for name in names],
            f"test PSNR at sigma {sigma} (dB)",
            annotations=[f"{variants[n]['psnr_noisy']:.1f}" for n in names],
        ),
        caption=f"Denoising Gaussian noise of sigma {sigma}: PSNR of g(f(n(x))) against x.",
    )
