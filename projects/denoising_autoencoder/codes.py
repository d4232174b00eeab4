"""The codes h = f(x) of trained encoders: computed, and described for the report (how many
units are active, how far the sparse ones are from their target, their first two principal
components)."""

import keras
import numpy as np

from projects.denoising_autoencoder import regularizers

SPARSITY_MODELS = ("sparse_kl", "sparse_l1", "undercomplete")
PROJECTED_MODELS = ("undercomplete", "denoising_gaussian")


def apply(network, images, batch_size=1000):
    """`network(images)` in inference mode, batch by batch, as one numpy array."""
    outputs = [
        keras.ops.convert_to_numpy(network(images[start : start + batch_size], training=False))
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(outputs)


def encode(encoder, images):
    """Codes f(x) as a (N, features) array (a U-Net encoder's first output: its skip
    connections are not part of the code)."""
    if len(encoder.outputs) > 1:
        encoder = keras.Model(encoder.inputs[0], encoder.outputs[0])
    codes = apply(encoder, images)
    return codes.reshape(len(codes), -1)


def sparsity_table(models, datasets, config):
    """{name: {mean_abs_code, inactive_fraction, kl}} for the sparse models and the plain one:
    the KL term is sum_j KL(rho || mean activation of unit j) over the test set."""
    rows = {}
    for name in SPARSITY_MODELS:
        if name not in models:
            continue
        codes = encode(models[name].get_layer("encoder"), datasets.test_images)
        mean_activation = np.clip(codes.mean(axis=0), 1e-7, 1 - 1e-7)
        kl = regularizers.bernoulli_kl(config.sparsity_target, mean_activation)
        rows[name] = {
            "mean_abs_code": float(np.mean(np.abs(codes))),
            "inactive_fraction": float(np.mean(np.abs(codes) < config.active_threshold)),
            "kl": float(np.sum(kl)),
        }
    return rows


def code_activations(models, datasets):
    """Every code value of the sparse models and the plain one on the test set (histograms)."""
    return {
        f"codes/{name}": encode(models[name].get_layer("encoder"), datasets.test_images)
        for name in SPARSITY_MODELS
        if name in models
    }


def code_projections(models, datasets, config):
    """The codes of the first `pca_images` test images on their first two principal
    components, with the images' labels."""
    images = datasets.test_images[: config.pca_images]
    arrays = {}
    for name in PROJECTED_MODELS:
        if name in models:
            codes = encode(models[name].get_layer("encoder"), images)
            arrays[f"pca/{name}"] = pca_2d(codes)
    if arrays:
        arrays["pca/labels"] = datasets.test_labels[: config.pca_images]
    return arrays


def pca_2d(codes):
    """The codes projected on their first two principal components (SVD of centred codes)."""
    centred = codes - codes.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return centred @ directions[:2].T
