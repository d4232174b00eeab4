"""What the trained autoencoders are scored on, all on the test set, once, after training.

Image quality is PSNR and SSIM (`tf.image.psnr`, `tf.image.ssim`) of the reconstruction of a
corrupted test image against the clean one. Codes are scored by how many units they use, how
contractive their encoder is, and by linear probes (probes.py). `evaluate` scores every model
and returns the results the report is drawn from: numbers, and the arrays its figures show.
"""

import keras
import numpy as np
import tensorflow as tf

from common.experiment import training
from projects.denoising_autoencoder import codes, probes, regularizers

DENOISERS = ("denoising_gaussian", "conv_denoising", "unet_denoising")  # In the image grids.


def evaluate(config, datasets, plan, trained):
    """Scores every trained model (once, after all training); returns the metrics and the
    arrays (image grids, code activations, PCA projections)."""
    variants = {}
    for name, model_config in plan.models.items():
        row = score(trained[name].model, model_config, datasets, config)
        variants[name] = {**training.summarize(trained[name].record, model_config.epochs), **row}
    main = [name for _, name in plan.tables["main"]]
    models = {name: trained[name].model for name in main}
    encoders = {"raw pixels": None, **{name: m.get_layer("encoder") for name, m in models.items()}}
    accuracies, robustness = probes.probe_table(encoders, datasets, config)
    name = plan.headline
    metrics = {
        "test_psnr": variants[name]["psnr_noisy"],
        "test_ssim": variants[name]["ssim_noisy"],
        "headline_variant": name,
        "tested_model": name,
        "noise_sigma": config.noise_sigma,
        # What the model starts from: the noisy test images' own PSNR at the same sigma.
        "noisy_input_psnr": noise_curve(None, datasets, [config.noise_sigma])[0],
        "noisy_input_psnr_curve": noise_curve(None, datasets, config.evaluation_sigmas),
        "variants": variants,
        "probe_accuracy": accuracies,
        "probe_robustness": robustness,
        "sparsity": codes.sparsity_table(models, datasets, config),
        "class_names": list(datasets.class_names),
        "train_images": datasets.train_size,
        "validation_images": datasets.validation_size,
        "test_images": len(datasets.test_labels),
        "training_time_seconds": sum(t.record["wall_time_seconds"] for t in trained.values()),
        "summary": f"test PSNR {variants[name]['psnr_noisy']:.2f} dB, SSIM "
        f"{variants[name]['ssim_noisy']:.3f} at Gaussian sigma {config.noise_sigma} ({name})",
    }
    arrays = {
        **image_grids(models, datasets, config),
        **codes.code_activations(models, datasets),
        **codes.code_projections(models, datasets, config),
    }
    return metrics, arrays


def reconstruct(model, images):
    """g(f(x)) for float images, clipped to the pixel range."""
    return np.clip(codes.apply(model, images), 0.0, 1.0)


@tf.function(reduce_retracing=True)
def _quality(clean, reconstructed):
    psnr = tf.image.psnr(clean, reconstructed, max_val=1.0)
    ssim = tf.image.ssim(clean, reconstructed, max_val=1.0)
    return tf.reduce_mean(psnr), tf.reduce_mean(ssim)


def image_quality(clean, reconstructed):
    """Mean PSNR (dB) and SSIM of reconstructions against clean images, both in [0, 1]."""
    psnr, ssim = _quality(tf.constant(clean), tf.constant(reconstructed, dtype="float32"))
    return {"psnr": float(psnr), "ssim": float(ssim)}


def noise_curve(model, datasets, sigmas):
    """PSNR of the model's output at each Gaussian noise level (None: the noisy input itself)."""
    curve = []
    for sigma in sigmas:
        noisy = datasets.noisy_test_images("gaussian", sigma)
        output = noisy if model is None else reconstruct(model, noisy)
        curve.append(image_quality(datasets.test_images, output)["psnr"])
    return curve


def score(model, model_config, datasets, config):
    """The row of the results table for one trained autoencoder (`config`: the run's, whose
    `noise_sigma` is the test noise; `model_config`: the model's, with its training noise)."""
    noisy = datasets.noisy_test_images("gaussian", config.noise_sigma)
    at_sigma = image_quality(datasets.test_images, reconstruct(model, noisy))
    clean = image_quality(datasets.test_images, reconstruct(model, datasets.test_images))
    row = {
        "psnr_clean": clean["psnr"],
        "psnr_noisy": at_sigma["psnr"],
        "ssim_noisy": at_sigma["ssim"],
        "psnr_curve": noise_curve(model, datasets, config.evaluation_sigmas),
    }
    if model_config.noise not in ("none", "gaussian"):
        own = datasets.noisy_test_images(model_config.noise, model_config.noise_level)
        row["psnr_own_noise"] = image_quality(datasets.test_images, reconstruct(model, own))["psnr"]
    encoder = model.get_layer("encoder")
    values = codes.encode(encoder, datasets.test_images)
    row["mean_abs_code"] = float(np.mean(np.abs(values)))
    row["inactive_fraction"] = float(np.mean(np.abs(values) < config.active_threshold))
    images = datasets.test_images[: config.jacobian_images]
    row["jacobian_norm"] = jacobian_norm(encoder, images, config.jacobian_probes)
    row["jacobian_estimated"] = model_config.convolutional
    return row


def jacobian_norm(encoder, images, probes=32, batch_size=100):
    """Mean ||df/dx||_F over `images`: how much the code moves per unit move of the input.

    Exact for dense encoders (closed form); for convolutional ones, whose thousands of code
    units would need thousands of backward passes per image, Hutchinson's estimate from
    `probes` random projections (`jacobian_frobenius_squared_estimate`).
    """
    convolutional = any(isinstance(layer, keras.layers.Conv2D) for layer in encoder.layers)
    squares = []
    for index, batch in enumerate(np.array_split(images, max(1, len(images) // batch_size))):
        if convolutional:
            square = jacobian_frobenius_squared_estimate(encoder, batch, probes, seed=index)
        else:
            square = regularizers.jacobian_frobenius_squared(encoder, batch)
        squares.append(keras.ops.convert_to_numpy(square))
    return float(np.mean(np.sqrt(np.maximum(np.concatenate(squares), 0.0))))


def jacobian_frobenius_squared_estimate(encoder, images, probes=32, seed=0):
    """An unbiased estimate of ||df/dx||_F^2 per image from `probes` random projections.

    For u ~ N(0, I) in code space, E[||J^T u||^2] = trace(J J^T) = ||J||_F^2 (Hutchinson's
    trace estimator). Each probe costs one backward pass, so a convolutional encoder with
    thousands of code units needs `probes` passes instead of thousands. The relative standard
    error of one image's estimate is about sqrt(2 / probes); averages over many images are
    much tighter. A multi-output encoder (the U-Net's) is measured on its first output, the code.
    """
    if probes < 1:
        raise ValueError(f"probes must be >= 1. Received: probes={probes}")
    images = tf.convert_to_tensor(images, dtype="float32")
    generator = tf.random.Generator.from_seed(seed)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(images)
        code = encoder(images, training=False)
        if isinstance(code, (list, tuple)):
            code = code[0]
    total = tf.zeros(tf.shape(images)[:1])
    pixel_axes = list(range(1, len(images.shape)))
    for _ in range(probes):
        direction = generator.normal(tf.shape(code))
        pulled_back = tape.gradient(code, images, output_gradients=direction)  # J^T u
        total += tf.reduce_sum(tf.square(pulled_back), axis=pixel_axes)
    del tape
    return total / probes


def sample_indices(labels, count):
    """The first test image of each of `count` classes: a varied, repeatable strip."""
    return np.array([np.flatnonzero(labels == c)[0] for c in np.unique(labels)[:count]])


def grid_settings(config):
    """(noise kind, level, the models that denoise it) for each image grid."""
    settings = [("gaussian", sigma, DENOISERS) for sigma in config.grid_sigmas]
    settings.append(("salt_pepper", config.salt_pepper_amount, ("denoising_salt_pepper",)))
    settings.append(("masking", config.masking_fraction, ("denoising_masking",)))
    return settings


def image_grids(models, datasets, config):
    """Noisy test images, what each denoiser makes of them, and the clean originals, per noise
    kind and level: arrays `grid/<kind>_<level>/<row>`."""
    indices = sample_indices(datasets.test_labels, config.grid_images)
    arrays = {"grid/clean": datasets.test_images[indices]}
    for kind, level, names in grid_settings(config):
        names = [name for name in names if name in models]
        if not names:
            continue
        noisy = datasets.noisy_test_images(kind, level)[indices]
        arrays[f"grid/{kind}_{level:g}/noisy"] = noisy
        for name in names:
            arrays[f"grid/{kind}_{level:g}/{name}"] = reconstruct(models[name], noisy)
    return arrays
