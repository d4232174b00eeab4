"""The autoencoder project: noise, penalties, Jacobians, training, probes, saving, run, tuner."""

import dataclasses
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.data import loaders as common_data
from common.data import pipeline
from common.experiment import config as config_lib
from projects.denoising_autoencoder import __main__ as main
from projects.denoising_autoencoder import (
    codes,
    data,
    evaluate,
    model,
    noise,
    probes,
    regularizers,
    report_sections,
    train,
    unet,
)
from projects.denoising_autoencoder import config as project_config
from tests import layer_testing
from tests.projects import conftest


@pytest.fixture(scope="module")
def sample_datasets(tmp_path_factory):
    """The bundled Fashion-MNIST sample through the project's pipeline (read once)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLFB_DATA_DIR", str(common_data.sample_dir()))
        patch.setenv("DLFB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        return data.load_datasets(smoke_config())


def smoke_config(**changes):
    return config_lib.from_preset(project_config.Config, "smoke", **changes)


def variant(name, **changes):
    """The config of the main variant `name` in a smoke run, as the plan makes it."""
    return train.variant_config(smoke_config(**changes), name)


# Noise: each corruption's statistics.


def test_gaussian_noise_has_the_asked_mean_and_spread():
    images = np.full((64, 28, 28, 1), 0.5, "float32")
    noisy = keras.ops.convert_to_numpy(noise.gaussian(images, 0.1, seed=1)) - 0.5
    assert abs(noisy.mean()) < 0.002 and abs(noisy.std() - 0.1) < 0.002
    clipped = keras.ops.convert_to_numpy(noise.corrupt(images, "gaussian", 2.0, seed=1))
    assert clipped.min() == 0.0 and clipped.max() == 1.0  # Clipped to the pixel range.


def test_salt_and_pepper_hits_the_asked_fraction_half_black_half_white():
    images = np.full((64, 28, 28, 1), 0.5, "float32")
    noisy = keras.ops.convert_to_numpy(noise.salt_and_pepper(images, 0.2, seed=2))
    hit = noisy != 0.5
    assert abs(hit.mean() - 0.2) < 0.005
    assert set(np.unique(noisy[hit])) == {0.0, 1.0}
    assert abs((noisy[hit] == 1.0).mean() - 0.5) < 0.02


def test_masking_zeroes_the_asked_fraction_and_keeps_the_rest():
    images = np.random.default_rng(0).uniform(0.1, 1.0, (64, 28, 28, 1)).astype("float32")
    noisy = keras.ops.convert_to_numpy(noise.masking(images, 0.3, seed=3))
    masked = noisy == 0.0
    assert abs(masked.mean() - 0.3) < 0.005
    np.testing.assert_array_equal(noisy[~masked], images[~masked])


def test_corruption_layer_is_noisy_in_training_only_and_seeded():
    images = np.full((4, 28, 28, 1), 0.5, "float32")
    layer = noise.Corruption("gaussian", 0.3, seed=5)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(images)), images)
    first = keras.ops.convert_to_numpy(layer(images, training=True))
    second = keras.ops.convert_to_numpy(layer(images, training=True))
    assert not np.allclose(first, images) and not np.allclose(first, second)  # Fresh noise.
    repeat = keras.ops.convert_to_numpy(noise.Corruption("gaussian", 0.3, 5)(images, training=True))
    np.testing.assert_allclose(repeat, first)  # Same seed, same stream.


def test_clip_indicators_mark_black_and_white_pixels(tmp_path):
    images = np.array([[[[0.0], [0.4], [1.0]], [[1.0], [0.0], [0.7]]]], "float32")
    output = keras.ops.convert_to_numpy(noise.ClipIndicators()(images))
    np.testing.assert_array_equal(output[..., 0], images[..., 0])
    np.testing.assert_array_equal(output[..., 1], [[[1, 0, 0], [0, 1, 0]]])
    np.testing.assert_array_equal(output[..., 2], [[[0, 0, 1], [1, 0, 0]]])
    layer_testing.check_layer(noise.ClipIndicators, {"low": -0.5}, (4, 3, 2), (4, 3, 6), tmp_path)
    with pytest.raises(ValueError, match="low must be below high. Received: low=1.0, high=1.0"):
        noise.ClipIndicators(low=1.0)


# Penalties against hand computations.


def test_kl_sparsity_penalty_matches_a_hand_computation():
    codes = np.array([[0.1, 0.5], [0.3, 0.5]], "float32")  # Mean activations 0.2 and 0.5.
    layer = regularizers.KLSparsityPenalty(target=0.05, weight=2.0)
    layer(codes)

    def kl(rho, q):
        return rho * math.log(rho / q) + (1 - rho) * math.log((1 - rho) / (1 - q))

    expected = 2.0 * (kl(0.05, 0.2) + kl(0.05, 0.5))
    assert float(layer.losses[0]) == pytest.approx(expected, rel=1e-5)
    assert float(regularizers.bernoulli_kl(0.3, np.float32(0.3))) == pytest.approx(0.0, abs=1e-7)


def test_l1_activity_penalty_matches_a_hand_computation():
    layer = regularizers.L1ActivityPenalty(weight=0.5)
    layer(np.array([[1.0, -2.0], [0.0, 3.0]], "float32"))
    assert float(layer.losses[0]) == pytest.approx(0.5 * (3.0 + 3.0) / 2)


def tiny_encoder():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((2, 3, 1))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(5, activation="relu")(x)
    codes = keras.layers.Dense(3, activation="sigmoid")(x)
    return keras.Model(inputs, codes, name="encoder")


def finite_difference_jacobian(encoder, image, step=1e-3):
    """Central differences, one input pixel at a time, in float64 arithmetic on the outputs."""
    flat = image.reshape(-1).astype("float64")
    columns = []
    for index in range(flat.size):
        delta = np.zeros_like(flat)
        delta[index] = step
        up = encoder((flat + delta).reshape(1, *image.shape).astype("float32"))
        down = encoder((flat - delta).reshape(1, *image.shape).astype("float32"))
        difference = keras.ops.convert_to_numpy(up - down)[0].astype("float64")
        columns.append(difference / (2 * step))
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("method", ["closed_form", "autodiff"])
def test_contractive_jacobian_matches_finite_differences(method):
    encoder = tiny_encoder()
    images = np.random.default_rng(1).uniform(0, 1, (3, 2, 3, 1)).astype("float32")
    compute = {
        "closed_form": regularizers.jacobian_closed_form,
        "autodiff": regularizers.jacobian_autodiff,
    }[method]
    jacobian = keras.ops.convert_to_numpy(compute(encoder, images))
    assert jacobian.shape == (3, 3, 6)
    for index, image in enumerate(images):
        expected = finite_difference_jacobian(encoder, image)
        np.testing.assert_allclose(jacobian[index], expected, atol=2e-3)
    squared = regularizers.jacobian_frobenius_squared(encoder, images, method)
    np.testing.assert_allclose(squared, (jacobian**2).sum(axis=(1, 2)), rtol=1e-5)


def test_jacobian_estimate_of_a_conv_encoder_matches_finite_differences():
    inputs = keras.Input(shape=(4, 4, 1))
    hidden = keras.layers.Conv2D(3, 3, padding="same", activation="tanh")(inputs)
    code = keras.layers.Conv2D(2, 3, strides=2, padding="same", activation="sigmoid")(hidden)
    encoder = keras.Model(inputs, [code, hidden])  # Like the U-Net: the code comes first.
    code_only = keras.Model(inputs, code)
    images = np.random.default_rng(2).uniform(0, 1, (4, 4, 4, 1)).astype("float32")
    exact = [(finite_difference_jacobian(code_only, image) ** 2).sum() for image in images]
    estimate = evaluate.jacobian_frobenius_squared_estimate(encoder, images, probes=1000)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(estimate), exact, rtol=0.2)
    few = evaluate.jacobian_frobenius_squared_estimate(encoder, images, probes=2, seed=3)
    assert not np.allclose(keras.ops.convert_to_numpy(few), exact, rtol=1e-3)  # An estimate.
    with pytest.raises(ValueError, match="probes"):
        evaluate.jacobian_frobenius_squared_estimate(encoder, images, probes=0)


def test_contractive_loss_is_reconstruction_plus_lambda_times_jacobian_norm():
    encoder = tiny_encoder()
    decoder = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(6), keras.layers.Reshape((2, 3, 1))]
    )
    autoencoder = regularizers.ContractiveAutoencoder(encoder, decoder, weight=0.7)
    autoencoder.compile(loss="mse")
    images = np.random.default_rng(2).uniform(0, 1, (4, 2, 3, 1)).astype("float32")
    reconstruction = autoencoder(images)
    loss = autoencoder.compute_loss(x=images, y=images, y_pred=reconstruction)
    mse = np.mean((keras.ops.convert_to_numpy(reconstruction) - images) ** 2)
    penalty = np.mean(regularizers.jacobian_frobenius_squared(encoder, images))
    assert float(loss) == pytest.approx(mse + 0.7 * penalty, rel=1e-5)


# Training, probes, serialization.


@pytest.mark.parametrize(
    "name", ["denoising_gaussian", "sparse_kl", "contractive", "predictive", "unet_denoising"]
)
def test_a_few_steps_on_the_sample_lower_the_reconstruction_loss(sample_datasets, name):
    config = variant(name, epochs=8, conv_epochs=8)
    network = model.build_model(config)
    train.compile_model(network, config, sample_datasets)
    clean = sample_datasets.validation(dataclasses.replace(config, noise="none"))
    before = network.evaluate(clean, verbose=0)[0]
    network.fit(sample_datasets.train(config), epochs=8, verbose=0)
    assert network.evaluate(clean, verbose=0)[0] < before


def test_linear_probe_learns_separable_codes_with_balanced_labels():
    generator = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 100)
    features = generator.normal(size=(300, 4)) + 4 * np.eye(3, 4)[labels]
    chosen = probes.labelled_subset(labels, 30, seed=0)
    assert np.bincount(labels[chosen]).tolist() == [10, 10, 10]
    probe = probes.LinearProbe(features[chosen], labels[chosen], 3, smoke_config(probe_epochs=5))
    assert probe.accuracy(features, labels) > 0.9
    assert len(probes.labelled_subset(labels, 0, seed=0)) == 300  # 0: all labels.


def test_a_code_unit_dead_in_training_does_not_swamp_the_probe_at_test_time():
    """A ReLU unit that is 0 on every training image and fires faintly on test images (as the
    sparse CIFAR-10 codes did: their probes fell to 1-5 % accuracy, below chance) must not
    decide the probe's answer."""
    generator = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 100)
    informative = generator.normal(size=(300, 3)) + 4 * np.eye(3)[labels]
    dead = np.zeros((300, 5))
    probe = probes.LinearProbe(
        np.hstack([informative, dead]), labels, 3, smoke_config(probe_epochs=5)
    )
    faint = generator.uniform(0, 0.01, size=(300, 5))  # Fires a little on the test images.
    assert probe.accuracy(np.hstack([informative, faint]), labels) > 0.9
    np.testing.assert_allclose(probes.feature_scale(np.array([[0.0, 1.0], [0.0, 3.0]])), [0.1, 1.0])


@pytest.mark.parametrize("name", project_config.VARIANT_NAMES)
def test_every_variant_round_trips_through_a_keras_file(tmp_path, name):
    network = model.build_model(variant(name))
    images = np.random.default_rng(3).uniform(0, 1, (2, 28, 28, 1)).astype("float32")
    path = tmp_path / f"{name}.keras"
    network.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(network)
    np.testing.assert_allclose(
        loaded.predict(images, verbose=0), network.predict(images, verbose=0)
    )
    shapes = [tuple(o.shape) for o in loaded.get_layer("encoder").outputs]
    assert shapes == [tuple(o.shape) for o in network.get_layer("encoder").outputs]


def test_unet_passes_full_and_half_size_maps_past_its_code():
    config = variant(
        "unet_denoising", unet_filters=4, unet_bottleneck_multiplier=3, unet_code_convs=2
    )
    network = model.build_model(config)
    encoder = network.get_layer("encoder")
    assert encoder.get_layer("clip_indicators").output.shape == (None, 28, 28, 3)
    assert [layer.name for layer in encoder.layers if layer.name.endswith("_conv")][-2:] == [
        "code1_conv",
        "code2_conv",
    ]
    shapes = [tuple(output.shape) for output in encoder.outputs]
    assert shapes == [(None, 7, 7, 12), (None, 14, 14, 8), (None, 28, 28, 4)]
    decoder = network.get_layer("decoder")
    assert decoder.get_layer("skip_full").output.shape == (None, 28, 28, 8)
    assert tuple(network.output.shape) == (None, 28, 28, 1)
    images = np.random.default_rng(0).uniform(0, 1, (5, 28, 28, 1)).astype("float32")
    assert codes.encode(encoder, images).shape == (5, 7 * 7 * 12)


@pytest.mark.parametrize(
    "decay, at_step_28",
    # Step 28 is a fifth of the way down: 1 - 0.2 on the line, (1 + cos(0.2 pi)) / 2 = 0.9045.
    [("linear", 0.008), ("cosine", 0.009045)],
)
def test_unet_learning_rate_warms_up_from_zero_then_decays_to_zero(decay, at_step_28):
    config = variant(
        "unet_denoising",
        conv_epochs=2,
        unet_learning_rate=0.01,
        unet_warmup_fraction=0.1,
        unet_decay=decay,
    )
    steps = type("Steps", (), {"steps_per_epoch": lambda self, config: 50})()  # 100 steps.
    network = model.build_model(config)
    train.compile_model(network, config, steps)
    schedule = network.optimizer._learning_rate
    rates = [float(schedule(step)) for step in (0, 5, 10, 28, 55, 100)]
    # Up linearly over the first 10 steps, then down from the peak to zero over 90.
    assert rates == pytest.approx([0.0, 0.005, 0.01, at_step_28, 0.005, 0.0], abs=1e-6)
    dense_config = variant("denoising_gaussian")
    dense = model.build_model(dense_config)
    train.compile_model(dense, dense_config, steps)
    assert float(dense.optimizer._learning_rate(0)) == pytest.approx(dense_config.learning_rate)


def test_psnr_metric_matches_tf_image_psnr():
    clean = np.random.default_rng(4).uniform(0, 1, (3, 28, 28, 1)).astype("float32")
    noisy = np.clip(clean + 0.1, 0, 1)
    metric = model.PeakSignalToNoiseRatio()
    metric.update_state(clean, noisy)
    expected = float(tf.reduce_mean(tf.image.psnr(clean, noisy, max_val=1.0)))
    assert float(metric.result()) == pytest.approx(expected, rel=1e-5)


def test_config_rejects_bad_values_with_what_it_received():
    with pytest.raises(ValueError, match="Received"):
        smoke_config(variants=("not_a_variant",))
    with pytest.raises(ValueError, match="Received"):
        smoke_config(sparsity_target=1.5)
    with pytest.raises(ValueError, match="unet_learning_rate must be positive. Received: 0"):
        smoke_config(unet_learning_rate=0)
    with pytest.raises(ValueError, match="unet_warmup_fraction must be in"):
        smoke_config(unet_warmup_fraction=1.0)
    with pytest.raises(
        ValueError, match="unet_decay must be 'cosine' or 'linear'. Received: 'step'"
    ):
        smoke_config(unet_decay="step")
    with pytest.raises(ValueError, match="noise must be among"):
        smoke_config(noise="speckle")
    with pytest.raises(ValueError, match="test_limit"):
        smoke_config(test_limit=10)
    with pytest.raises(ValueError, match="Unknown config field"):
        config_lib.parse_overrides(project_config.Config, ["not_a_field=1"])
    with pytest.raises(ValueError, match=r"multiples of 4. Received: image_shape=\(30, 30, 1\)"):
        unet.unet_encoder((30, 30, 1), 4, 2)


def test_test_limit_keeps_a_seeded_subset_with_every_class(sample_datasets, monkeypatch, tmp_path):
    """Not the first images: CIFAR-10's test folders are sorted by class, and their first 3,000
    held three classes of ten (the quick preset's probes then scored below chance)."""
    monkeypatch.setenv("DLFB_DATA_DIR", str(common_data.sample_dir()))
    monkeypatch.setenv("DLFB_CACHE_DIR", str(tmp_path))
    config = smoke_config(test_limit=100)
    limited = data.load_datasets(config)
    assert len(sample_datasets.test_labels) > 100
    images, labels = pipeline.seeded_subset(
        sample_datasets.test_images, sample_datasets.test_labels, limit=100, seed=config.seed
    )
    np.testing.assert_array_equal(limited.test_labels, labels)
    np.testing.assert_array_equal(limited.test_images, images)
    assert len(np.unique(limited.test_labels)) == 10
    _, sorted_subset = pipeline.seeded_subset(np.arange(1000), np.repeat(np.arange(10), 100),
                                              limit=300, seed=0)  # fmt: skip
    assert len(np.unique(sorted_subset)) == 10


def test_plan_is_the_run_config_with_fields_changed():
    config = project_config.Config()
    plan = train.plan(config)
    assert list(plan.models)[:10] == list(project_config.VARIANT_NAMES)
    assert plan.headline == "unet_denoising"
    gaussian = plan.models["denoising_gaussian"]
    assert (gaussian.noise, gaussian.code_activation, gaussian.epochs) == ("gaussian", "relu", 12)
    unet = plan.models["unet_denoising"]
    assert (unet.epochs, unet.batch_size, unet.loss) == (6, 64, "psnr")
    assert (unet.learning_rate, unet.warmup_fraction, unet.decay) == (6e-3, 0.1, "linear")
    assert plan.models["conv_denoising"].learning_rate == config.learning_rate
    assert plan.models["loss_mae"] == dataclasses.replace(gaussian, loss="mae")
    assert plan.models["sigma_0.1"] == dataclasses.replace(gaussian, noise_sigma=0.1)
    assert plan.models["code_8"].code_size == 8
    assert dict(plan.tables["sigma"]) == {n: n for n in ("sigma_0.1", "sigma_0.3", "sigma_0.7")}
    changed = report_sections.describe_change(
        config_lib.to_dict(gaussian), config_lib.to_dict(unet)
    )
    assert "architecture: unet" in changed and "epochs: 6" in changed


def test_sigma_sweep_sentence_follows_the_numbers_either_way():
    # Rows: training sigma, then PSNR at test sigmas 0.1 and 0.5.
    diagonal = report_sections.sweep_sentence([[0.1, 20.0, 12.0], [0.5, 18.0, 15.0]], (0.1, 0.5))
    assert "0.1 -> 0.1, 0.5 -> 0.5" in diagonal and "in 2 of 2 columns" in diagonal
    off = report_sections.sweep_sentence([[0.1, 20.0, 14.78], [0.5, 18.0, 14.06]], (0.1, 0.5))
    assert "0.5 -> 0.1" in off and "in 1 of 2 columns" in off


# The whole project: the run writes its report, resumes, rebuilds it; the tuner resumes.


def test_run_writes_the_report_resumes_and_rebuilds_it(offline_sample_only, tmp_path):
    config = smoke_config(variants=("undercomplete", "denoising_gaussian", "sparse_kl"))
    results, html, rebuilt = conftest.run_and_rebuild(main.PROJECT, config, tmp_path)
    metrics = results.metrics
    assert set(metrics["variants"]) == {"undercomplete", "denoising_gaussian", "sparse_kl"}
    assert metrics["tested_model"] == "denoising_gaussian"
    assert metrics["test_psnr"] > 0 and "test PSNR" in metrics["summary"]
    # The noisy input's PSNR at the test sigma (0.5), the demo's yardstick: the curve's point.
    assert metrics["noisy_input_psnr"] == metrics["noisy_input_psnr_curve"][1]
    assert 8.0 < metrics["noisy_input_psnr"] < 11.0
    assert "bundled SAMPLE" in html and "linear probes" in html and "PSNR against noise" in html
    assert "projects/denoising_autoencoder/evaluate.py:image_grids" in html
    assert "Training budgets: all models: up to 1 epochs" in html
    assert results.is_sample
    assert rebuilt.count("computed by") == html.count("computed by")


def test_tuner_runs_a_trial_and_resumes_without_repeating(offline_sample_only, tmp_path):
    conftest.check_tuner_resumes(main.PROJECT, smoke_config(), tmp_path)
