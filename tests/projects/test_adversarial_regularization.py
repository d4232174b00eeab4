"""The adversarial-regularization project: attacks, the wrapper's loss, robustness, saving, run."""

import dataclasses
import logging

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.data import loaders, pipeline
from common.experiment import config as config_lib
from projects.adversarial_regularization import __main__ as main
from projects.adversarial_regularization import attacks, data, model, regularizer, train
from projects.adversarial_regularization import config as project_config
from tests.projects import conftest

# 2,000 of the sample's training images: enough for a tiny model to learn (and, adversarially
# trained, to resist FGSM), and a fifth of the time of the whole sample.
SAMPLE = config_lib.from_preset(project_config.Config, "smoke", train_limit=2000, batch_size=100)


def smoke_config(**changes):
    return config_lib.from_preset(project_config.Config, "smoke", **changes)


@pytest.fixture(scope="module")
def sample_datasets(tmp_path_factory):
    """The bundled Fashion-MNIST sample through the project's pipeline (read once)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLFB_DATA_DIR", str(loaders.sample_dir()))
        patch.setenv("DLFB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        return data.load_datasets(SAMPLE)


def linear_model(seed=0):
    """A softmax regression on 4x4 images: small enough to check by hand."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4, 4, 1))
    logits = keras.layers.Dense(3)(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, logits)


def random_images(count, low=0.0, high=1.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, (count, 4, 4, 1)).astype("float32")


# Attacks.


def test_fgsm_moves_every_pixel_by_exactly_epsilon_then_clips_to_the_pixel_range():
    network, labels = linear_model(), np.array([0, 1, 2, 0])
    middle = random_images(4, 0.2, 0.8)  # Far from 0 and 1: no clipping.
    moved = attacks.fgsm(network, middle, labels, 0.1).numpy() - middle
    np.testing.assert_allclose(np.abs(moved), 0.1, atol=1e-6)
    edges = random_images(4, 0.0, 1.0, seed=1).round()  # Pixels at 0 and 1: clipping bites.
    clipped = attacks.fgsm(network, edges, labels, 0.3).numpy()
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0
    assert np.abs(clipped - edges).max() <= 0.3 + 1e-6


@pytest.mark.parametrize("norm", ["infinity", "l2"])
def test_pgd_stays_inside_the_epsilon_ball_and_the_pixel_range(norm):
    network, images = linear_model(), random_images(8, seed=2)
    labels = np.arange(8) % 3
    adversarial = attacks.pgd(network, images, labels, 0.2, steps=5, norm=norm, seed=3).numpy()
    delta = (adversarial - images).reshape(8, -1)
    size = np.abs(delta).max(axis=1) if norm == "infinity" else np.linalg.norm(delta, axis=1)
    assert size.max() <= 0.2 + 1e-5 and size.max() > 0.1
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0


def test_attacks_grow_stronger_with_epsilon_and_pgd_beats_fgsm(sample_datasets):
    keras.utils.set_random_seed(0)
    network = model.build_base_model(smoke_config(filters=8, dense_units=32))
    network.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    network.fit(sample_datasets.train(SAMPLE), epochs=4, verbose=0)
    images, labels = sample_datasets.test_images[:200], sample_datasets.test_labels[:200]
    accuracy = {}
    for name in ("fgsm", "pgd"):
        for epsilon in (0.02, 0.05, 0.1):
            attack = attacks.make_attack(name, epsilon, steps=10, seed=0)
            accuracy[name, epsilon] = attacks.robust_accuracy(network, images, labels, attack)[0]
    for name in ("fgsm", "pgd"):
        assert accuracy[name, 0.02] >= accuracy[name, 0.05] >= accuracy[name, 0.1]
    for epsilon in (0.02, 0.05, 0.1):
        assert accuracy["pgd", epsilon] <= accuracy["fgsm", epsilon]
    assert accuracy["pgd", 0.1] < accuracy["pgd", 0.02]


def test_scoring_many_attacks_logs_no_retracing_advice():
    """Each (model, attack) pair is its own graph by design: TensorFlow's retracing advice,
    which it logs from the sixth new graph on, is dropped; other warnings still pass."""
    classifier = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    images, labels = np.random.default_rng(0).random((6, 4, 4, 1), "float32"), np.arange(6) % 3
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    tf.get_logger().addHandler(handler)
    try:
        for epsilon in (0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08):
            attacks.robust_accuracy(
                classifier, images, labels, attacks.make_attack("fgsm", epsilon)
            )
        tf.get_logger().warning("another warning")
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [m for m in messages if "retracing" in m]
    assert "another warning" in messages


def test_attack_arguments_are_checked():
    with pytest.raises(ValueError, match="norm"):
        attacks.fgsm(linear_model(), random_images(1), np.array([0]), 0.1, norm="l1")
    with pytest.raises(ValueError, match="steps"):
        attacks.pgd(linear_model(), random_images(1), np.array([0]), 0.1, steps=0)
    with pytest.raises(ValueError, match="attack"):
        attacks.make_attack("deepfool", 0.1)


# The wrapper.


def test_wrapper_loss_is_supervised_plus_multiplier_times_adversarial_by_hand():
    network = linear_model(seed=4)
    wrapper = regularizer.AdversarialRegularization(network, adv_multiplier=0.7, adv_step_size=0.1)
    wrapper.compile(
        optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    images, labels = random_images(5, 0.2, 0.8, seed=5), np.array([0, 1, 2, 1, 0])
    kernel, bias = (weight.numpy() for weight in network.layers[-1].weights)

    def loss_and_gradient(x):
        logits = x.reshape(5, -1) @ kernel + bias
        probabilities = np.exp(logits - logits.max(1, keepdims=True))
        probabilities /= probabilities.sum(1, keepdims=True)
        loss = -np.log(probabilities[np.arange(5), labels]).mean()
        error = probabilities - np.eye(3)[labels]  # d loss_i / d logits_i.
        return loss, (error @ kernel.T).reshape(x.shape)

    supervised, gradient = loss_and_gradient(images)
    adversarial, _ = loss_and_gradient(np.clip(images + 0.1 * np.sign(gradient), 0, 1))
    computed = wrapper.compute_loss(images, labels, wrapper(images), training=True)
    np.testing.assert_allclose(float(computed), supervised + 0.7 * adversarial, rtol=1e-5)
    assert adversarial > supervised  # The neighbour is worse than the clean point.


def test_wrapper_rejects_bad_arguments():
    for bad in (dict(adv_multiplier=-1), dict(adv_step_size=0), dict(pgd_steps=0)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            regularizer.AdversarialRegularization(linear_model(), **bad)
    with pytest.raises(ValueError, match="norm"):
        regularizer.AdversarialRegularization(linear_model(), adv_grad_norm="l1")


def train_pair(sample_datasets):
    """A base model and an adversarially regularized one, same seed and budget."""
    config = dataclasses.replace(SAMPLE, filters=8, dense_units=32, epochs=8, learning_rate=3e-3)
    plan = train.plan(config)
    trained = {}
    for name in ("base", "adversarial_fgsm"):
        keras.utils.set_random_seed(0)
        model_config = plan.models[name]
        trained[name] = model.build_model(model_config)
        train.compile_model(trained[name], model_config, sample_datasets)
        trained[name].fit(sample_datasets.train(model_config), epochs=config.epochs, verbose=0)
    return trained


@pytest.fixture(scope="module")
def trained_pair(sample_datasets):
    return train_pair(sample_datasets)


def test_adversarial_training_makes_a_tiny_model_more_robust(sample_datasets, trained_pair):
    images, labels = sample_datasets.test_images, sample_datasets.test_labels
    attack = attacks.make_attack("fgsm", 0.1)
    robust = {
        name: attacks.robust_accuracy(model.base_of(network), images, labels, attack)[0]
        for name, network in trained_pair.items()
    }
    assert robust["adversarial_fgsm"] > robust["base"] + 0.1, robust


def test_base_model_saves_and_loads_alone(tmp_path, sample_datasets, trained_pair):
    wrapper = trained_pair["adversarial_fgsm"]
    images = sample_datasets.test_images[:16]
    wrapper.base_model.save(tmp_path / "classifier.keras")
    alone = keras.saving.load_model(tmp_path / "classifier.keras", safe_mode=True)
    assert not isinstance(alone, regularizer.AdversarialRegularization)
    np.testing.assert_allclose(
        alone.predict(images, verbose=0), wrapper.predict(images, verbose=0), atol=1e-5
    )
    wrapper.save(tmp_path / "wrapper.keras")
    again = keras.saving.load_model(tmp_path / "wrapper.keras", safe_mode=True)
    assert isinstance(again, regularizer.AdversarialRegularization)
    assert again.get_config()["adv_step_size"] == wrapper.adv_step_size
    np.testing.assert_allclose(
        again.predict(images, verbose=0), wrapper.predict(images, verbose=0), atol=1e-5
    )


# Data, config, plan.


def test_noise_injection_keeps_pixels_in_range_and_has_the_asked_spread(sample_datasets):
    clean = next(iter(sample_datasets.train(dataclasses.replace(SAMPLE, variant="base"))))[0]
    noisy_config = dataclasses.replace(SAMPLE, variant="gaussian_noise", noise_sigma=0.1)
    noisy = next(iter(sample_datasets.train(noisy_config)))[0].numpy()
    clean = clean.numpy()
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0
    middle = (clean > 0.3) & (clean < 0.7)  # Unclipped pixels, same batch order (same seed).
    assert 0.08 < (noisy - clean)[middle].std() < 0.12


def test_config_rejects_bad_values():
    for bad, field in (
        (dict(adv_step_size=0.0), "adv_step_size"),
        (dict(variants=("fgsm",)), "variants"),
        (dict(adv_grad_norm="l1"), "adv_grad_norm"),
        (dict(curve_epsilons=(0.0, 1.5)), "epsilon"),
        (dict(multiplier_sweep=(-1.0,)), "adv_multiplier"),
        (dict(clean_weight=2.0), "clean_weight"),
        (dict(test_limit=10), "test_limit"),
    ):
        with pytest.raises(ValueError, match=field):
            smoke_config(**bad)


def test_test_limit_keeps_a_seeded_subset_with_every_class(sample_datasets, monkeypatch, tmp_path):
    monkeypatch.setenv("DLFB_DATA_DIR", str(loaders.sample_dir()))
    monkeypatch.setenv("DLFB_CACHE_DIR", str(tmp_path))
    config = dataclasses.replace(SAMPLE, test_limit=100)
    limited = data.load_datasets(config)
    images, labels = pipeline.seeded_subset(
        sample_datasets.test_images, sample_datasets.test_labels, limit=100, seed=config.seed
    )
    np.testing.assert_array_equal(limited.test_labels, labels)
    np.testing.assert_array_equal(limited.test_images, images)
    assert len(np.unique(limited.test_labels)) == 10


def test_training_plan_changes_one_thing_per_sweep_model():
    plan = train.plan(project_config.Config())
    assert list(plan.models)[:4] == list(project_config.VARIANT_NAMES)
    assert plan.headline == "adversarial_pgd"
    assert [config.variant for config in plan.models.values()][:4] == list(plan.models)[:4]
    assert not isinstance(
        model.build_model(plan.models["base"]), regularizer.AdversarialRegularization
    )
    pgd = model.build_model(plan.models["adversarial_pgd"])
    assert pgd.pgd_steps == 5 and pgd.random_start
    fgsm = model.build_model(plan.models["adversarial_fgsm"])
    assert fgsm.pgd_steps == 1 and fgsm.adv_multiplier == 0.5
    assert plan.models["fgsm_multiplier_0.2"].adv_multiplier == 0.2
    assert plan.models["fgsm_epsilon_0.2"].adv_step_size == 0.2
    assert plan.models["fgsm_epsilon_0.2"].variant == "adversarial_fgsm"
    assert dict(plan.tables["multiplier sweep"]) == {
        name: name for name in ["fgsm_multiplier_0.2", "fgsm_multiplier_1"]
    }


# The whole run, resuming, the report rebuilt from saved results, and the tuner.


def test_run_writes_the_report_resumes_and_rebuilds_it(tmp_path, offline_sample_only):
    config = smoke_config(
        variants=("base", "adversarial_fgsm"), multiplier_sweep=(), curve_epsilons=(0.0, 0.1)
    )
    results, html, rebuilt = conftest.run_and_rebuild(main.PROJECT, config, tmp_path)
    metrics = results.metrics
    assert metrics["headline_variant"] == "adversarial_fgsm"
    for name in ("base", "adversarial_fgsm"):
        row = metrics["variants"][name]
        assert 0 <= row["pgd_accuracy"] <= row["fgsm_accuracy"] + 0.05
        assert set(row["transfer"]) == {"fgsm", "pgd"}
    assert "bundled SAMPLE" in html and "Transfer attacks" in html and "Robustness curves" in html
    assert "projects/adversarial_regularization/evaluate.py:input_gradient_norm" in html
    assert 0 <= metrics["clean_accuracy"] <= 1
    assert rebuilt.count("computed by") == html.count("computed by")


def test_tuner_runs_a_trial_and_resumes_without_repeating(tmp_path, offline_sample_only):
    conftest.check_tuner_resumes(main.PROJECT, smoke_config(), tmp_path)
