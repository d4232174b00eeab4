"""What the trained autoencoders are scored on, all on the test set, once, after training.

Image quality is PSNR and SSIM (`tf.image.psnr`, `tf.image.ssim`) of the reconstruction of a
corrupted test image against the clean one. Representations are scored by linear probes: a
softmax classifier trained on frozen codes f(x) with few labels (book Section 15.1: a good
representation makes the next task easy).
"""

import math

import keras
import numpy as np
import tensorflow as tf

from projects.denoising_autoencoder import regularizers

JACOBIAN_IMAGES = 500  # Test images on which the encoder's Jacobian norm is measured.
JACOBIAN_PROBES = 32  # Random projections per image for convolutional encoders (Hutchinson).
PCA_IMAGES = 2000
ACTIVE_THRESHOLD = 0.05  # |h_j| below this counts as an inactive code unit.


def apply(network, images, batch_size=1000):
    """`network(images)` in inference mode, batch by batch, as one numpy array."""
    outputs = [
        keras.ops.convert_to_numpy(network(images[start : start + batch_size], training=False))
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(outputs)


def reconstruct(model, images):
    """g(f(x)) for float images, clipped to the pixel range."""
    return np.clip(apply(model, images), 0.0, 1.0)


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


def score(model, variant, datasets, config):
    """The row of the results table for one trained autoencoder."""
    noisy = datasets.noisy_test_images("gaussian", config.noise_sigma)
    at_sigma = image_quality(datasets.test_images, reconstruct(model, noisy))
    clean = image_quality(datasets.test_images, reconstruct(model, datasets.test_images))
    row = {
        "psnr_clean": clean["psnr"],
        "psnr_noisy": at_sigma["psnr"],
        "ssim_noisy": at_sigma["ssim"],
        "psnr_curve": noise_curve(model, datasets, config.evaluation_sigmas),
    }
    if variant.noise not in ("none", "gaussian"):
        own = datasets.noisy_test_images(variant.noise, variant.noise_level)
        row["psnr_own_noise"] = image_quality(datasets.test_images, reconstruct(model, own))["psnr"]
    encoder = model.get_layer("encoder")
    codes = encode(encoder, datasets.test_images)
    row["mean_abs_code"] = float(np.mean(np.abs(codes)))
    row["inactive_fraction"] = float(np.mean(np.abs(codes) < ACTIVE_THRESHOLD))
    row["jacobian_norm"] = jacobian_norm(encoder, datasets.test_images[:JACOBIAN_IMAGES])
    return row


def encode(encoder, images):
    """Codes f(x) as a (N, features) array (a U-Net encoder's first output: its skip
    connections are not part of the code)."""
    if len(encoder.outputs) > 1:
        encoder = keras.Model(encoder.inputs, encoder.outputs[0])
    codes = apply(encoder, images)
    return codes.reshape(len(codes), -1)


def jacobian_norm(encoder, images, batch_size=100):
    """Mean ||df/dx||_F over `images`: how much the code moves per unit move of the input.

    Exact for dense encoders (closed form); for convolutional ones, whose thousands of code
    units would need thousands of backward passes per image, Hutchinson's estimate from
    JACOBIAN_PROBES random projections (`jacobian_frobenius_squared_estimate`).
    """
    convolutional = any(isinstance(layer, keras.layers.Conv2D) for layer in encoder.layers)
    squares = []
    for index, batch in enumerate(np.array_split(images, max(1, len(images) // batch_size))):
        if convolutional:
            square = jacobian_frobenius_squared_estimate(
                encoder, batch, JACOBIAN_PROBES, seed=index
            )
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
        codes = encoder(images, training=False)
        if isinstance(codes, (list, tuple)):
            codes = codes[0]
    total = tf.zeros(tf.shape(images)[:1])
    pixel_axes = list(range(1, len(images.shape)))
    for _ in range(probes):
        direction = generator.normal(tf.shape(codes))
        pulled_back = tape.gradient(codes, images, output_gradients=direction)  # J^T u
        total += tf.reduce_sum(tf.square(pulled_back), axis=pixel_axes)
    del tape
    return total / probes


def pca_2d(codes):
    """The codes projected on their first two principal components (SVD of centred codes)."""
    centred = codes - codes.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return centred @ directions[:2].T


def labelled_subset(labels, count, seed):
    """Indices of `count` training examples, the same number from every class (0: all)."""
    if count == 0 or count >= len(labels):
        return np.arange(len(labels))
    generator = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = max(1, count // len(classes))
    chosen = [generator.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    return np.sort(np.concatenate(chosen))


class LinearProbe:
    """A softmax classifier on standardized frozen features: logistic regression (Section 5.7)."""

    def __init__(self, features, labels, num_classes, config):
        self.mean = features.mean(axis=0)
        self.scale = features.std(axis=0) + 1e-6
        keras.utils.set_random_seed(config.seed)
        self.model = keras.Sequential(
            [keras.Input((features.shape[1],)), keras.layers.Dense(num_classes)]
        )
        self.model.compile(
            optimizer=keras.optimizers.Adam(3e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        batch_size = min(256, len(labels))
        steps = config.probe_epochs * max(math.ceil(len(labels) / batch_size), 30)
        dataset = tf.data.Dataset.from_tensor_slices((self.standardize(features), labels))
        dataset = dataset.shuffle(len(labels), seed=config.seed).repeat().batch(batch_size)
        self.model.fit(dataset, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)

    def standardize(self, features):
        return ((features - self.mean) / self.scale).astype("float32")

    def accuracy(self, features, labels):
        logits = apply(self.model, self.standardize(features))
        return float(np.mean(np.argmax(logits, axis=1) == labels))


def probe_table(encoders, datasets, config):
    """Test accuracy of linear probes on each encoder's codes (None: raw pixels), per label count.

    Returns `(accuracies, robustness)`: accuracies[name][count], and for the probe with the most
    labels the test accuracy at each Gaussian noise level of the inputs (robustness[name][sigma]).
    """
    train_images = datasets.train_images.astype("float32") / 255.0
    num_classes = len(datasets.class_names)
    accuracies, robustness = {}, {}
    for name, encoder in encoders.items():
        features = encode_or_flatten(encoder, train_images)
        test_features = encode_or_flatten(encoder, datasets.test_images)
        accuracies[name], probes = {}, {}
        for count in config.probe_label_counts:
            chosen = labelled_subset(datasets.train_labels, count, config.seed)
            probe = LinearProbe(
                features[chosen], datasets.train_labels[chosen], num_classes, config
            )
            accuracies[name][count] = probe.accuracy(test_features, datasets.test_labels)
            probes[len(chosen)] = probe
        probe = probes[max(probes)]  # The one with the most labels.
        robustness[name] = {
            sigma: probe.accuracy(
                encode_or_flatten(encoder, datasets.noisy_test_images("gaussian", sigma)),
                datasets.test_labels,
            )
            for sigma in config.evaluation_sigmas
        }
    return accuracies, robustness


def encode_or_flatten(encoder, images):
    """The encoder's codes, or the raw pixels when `encoder` is None."""
    return images.reshape(len(images), -1) if encoder is None else encode(encoder, images)
