"""The image-classification project: model builders, every ablation path, a smoke run of run(),
CIFAR-10 on its sample, the CLI and the tuner."""

import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest

from common.data import loaders as data
from common.experiment import config as config_lib
from projects.image_classification import config as project_config
from projects.image_classification import data as project_data
from projects.image_classification import model, plan, train
from tests.projects import conftest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ALL_ABLATIONS = project_config.ABLATIONS


def smoke_config(**changes):
    return config_lib.from_preset(project_config.Config, "smoke", **changes)


@pytest.mark.parametrize("hidden", project_config.HIDDEN_UNIT_NAMES)
def test_every_hidden_unit_builds_and_predicts(hidden):
    network = model.build_model(smoke_config(), hidden=hidden)
    probabilities = network.predict(np.zeros((2, 28, 28, 1), "uint8"), verbose=0)
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_parameter_counts_follow_the_hidden_unit():
    config = smoke_config()  # Stages of 8 and 16 filters, one residual block after the first.
    names = ("relu", "prelu", "maxout")
    counts = {name: model.build_model(config, hidden=name).count_params() for name in names}
    assert counts["prelu"] - counts["relu"] == 8 + 8 + 8 + 16  # One alpha per channel.
    assert counts["maxout"] > 1.8 * counts["relu"]  # k = 2 affine pieces per unit.


def rows(config, ablation):
    return dict(plan.ablation_rows(dataclasses.replace(config, ablations=(ablation,)))[ablation])


def test_parameter_sharing_conv_fewer_than_tiled_fewer_than_dense():
    architecture = rows(smoke_config(), "architecture")
    counts = [
        model.build_model(smoke_config(), architecture[f"one layer: {kind}"]).count_params()
        for kind in ("convolution", "tiled convolution", "dense")
    ]
    assert counts[0] < counts[1] < counts[2]
    # 3 x 3 x 1 x 8 kernel (no bias: batch norm follows); tiled: 4 kernel sets and biases.
    assert counts[1] - counts[0] == 3 * 72 + 4 * 8


def test_residual_and_plain_have_equal_depth_and_parameters():
    architecture = rows(smoke_config(), "architecture")
    plain = model.build_model(smoke_config(), architecture["plain, one extra conv pair per stage"])
    residual = model.build_model(smoke_config(), architecture["residual, f(x) + x per stage"])
    assert plain.count_params() == residual.count_params()
    assert any("add" in layer.name for layer in residual.layers)
    assert not any("add" in layer.name for layer in plain.layers)


def test_cifar10_model_shapes():
    config = smoke_config(dataset="cifar10")
    network = model.build_model(config)
    assert network.predict(np.zeros((2, 32, 32, 3), "uint8"), verbose=0).shape == (2, 10)
    assert config.uses_flip() and config.uses_test_time_flip() and config.shift() == 4


def test_translate_moves_pixels_and_reflects_at_the_edges():
    images = np.arange(16).reshape(1, 4, 4, 1)
    moved = project_data.translate(images, 1, 1)  # One row down, one column right.
    np.testing.assert_array_equal(moved[0, 1:, 1:, 0], images[0, :3, :3, 0])
    np.testing.assert_array_equal(moved[0, 0, 1:, 0], images[0, 1, :3, 0])  # Reflected row.
    back = project_data.translate(images, -1, -1)
    np.testing.assert_array_equal(back[0, :3, :3, 0], images[0, 1:, 1:, 0])


def test_test_time_views_follow_the_dataset_and_the_flags():
    images = np.random.default_rng(0).integers(0, 255, (2, 32, 32, 3)).astype("uint8")
    cifar = smoke_config(dataset="cifar10")
    views = project_data.test_time_views(images, cifar)
    assert len(views) == 6 and views[0] is images  # x, two shifts, and the three mirrored.
    np.testing.assert_array_equal(views[3], images[:, :, ::-1, :])
    np.testing.assert_array_equal(views[1], project_data.translate(images, -1, -1))
    assert len(project_data.test_time_views(images, smoke_config())) == 1  # Fashion-MNIST.
    flip_only = smoke_config(dataset="cifar10", test_time_shift=0)
    assert len(project_data.test_time_views(images, flip_only)) == 2
    with pytest.raises(ValueError, match="test_time_shift"):
        smoke_config(test_time_shift=-1)
    with pytest.raises(ValueError, match="at most 13"):
        smoke_config(test_time_shift=40)


def test_evaluate_once_averages_the_views_probabilities():
    class Constant:  # Predicts class 1 on the images, class 2 on their mirrors.
        def predict(self, images, batch_size=None, verbose=0):
            mirrored = images[0, 0, 0, 0] == 1
            probabilities = np.zeros((len(images), 10), "float32")
            probabilities[:, 2 if mirrored else 1] = 1.0
            return probabilities

    images = np.zeros((3, 32, 32, 3), "uint8")
    images[:, :, -1, :] = 1  # The last column: the mirror's first.
    config = smoke_config(dataset="cifar10", test_time_shift=0)
    datasets = types.SimpleNamespace(test_images=images, test_labels=np.array([1, 2, 2]))
    evaluation = train.evaluate_once(Constant(), datasets, config)
    assert evaluation["views"] == 2
    np.testing.assert_allclose(evaluation["probabilities"][:, 1:3], 0.5)
    assert evaluation["accuracy_without_augmentation"] == pytest.approx(1 / 3)


def test_every_ablation_row_trains_one_step(offline_sample_only):
    config = smoke_config(ablations=ALL_ABLATIONS, hidden_units=("maxout",))  # Units: above.
    datasets = project_data.load_datasets(config)
    specs = plan.training_plan(config)
    assert len(specs) >= 18
    for name, spec in specs.items():
        network = model.build_model(config, spec, steps_per_epoch=1)
        network.run_eagerly = True  # One step: tracing a graph would cost more than it saves.
        images, labels = next(iter(datasets.train(spec.augment, spec.multitask, 64)))
        logs = network.train_on_batch(images, labels, return_dict=True)
        assert np.isfinite(logs["loss"]), name


def test_quick_grid_is_reduced_and_every_ablation_row_shares_one_budget():
    quick, full = (
        config_lib.from_preset(project_config.Config, name) for name in ("quick", "full")
    )
    assert set(quick.ablations) == set(full.ablations) == set(ALL_ABLATIONS)
    assert len(plan.training_plan(quick)) < len(plan.training_plan(full))
    for spec in plan.training_plan(full).values():
        epochs = full.epochs if spec.headline else full.ablation_epochs
        assert train.budget(full, spec).epochs == epochs


def test_multitask_heads_train_and_group_labels_follow_classes():
    labels = np.arange(10)
    grouped = project_data.group_labels(smoke_config(), labels)
    assert grouped["group"].tolist() == [0, 1, 0, 0, 0, 2, 0, 2, 3, 2]
    spec = dataclasses.replace(plan.base_spec(smoke_config()), multitask=True)
    network = model.build_model(smoke_config(), spec, steps_per_epoch=1)
    images = np.random.default_rng(0).integers(0, 255, (10, 28, 28, 1)).astype("uint8")
    logs = network.train_on_batch(images, grouped, return_dict=True)
    assert {"class_accuracy", "group_accuracy"} <= set(logs)
    outputs = network.predict(images, verbose=0)
    assert outputs["class"].shape == (10, 10) and outputs["group"].shape == (10, 4)


def test_smoke_run_writes_report_and_reuses_finished_variants(offline_sample_only, tmp_path):
    config = smoke_config(ablations=("hidden_units", "multitask"), hidden_units=("relu", "maxout"))
    options = dict(reports_dir=tmp_path / "reports", preset="smoke")
    metrics = train.run(config, tmp_path / "runs", **options)
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert len(metrics["variants"]) == 4  # Headline, relu (= single task), maxout, multi-task.
    folder = tmp_path / "reports" / "image_classification"
    html = (folder / "index.html").read_text()
    for text in ("bundled SAMPLE", "Test set (used once)", "Multi-task", "Budget of every row"):
        assert text in html
    written = json.loads((folder / "metrics.json").read_text())
    assert written["headline"]["name"] == "test accuracy"
    assert written["metadata"]["data_source"]["is_sample"] is True
    assert (folder / "history.csv").read_text().startswith("epoch")
    assert "image_classification" in (tmp_path / "reports" / "index.html").read_text()

    again = train.run(config, tmp_path / "runs", **options)
    assert again["variants"] == metrics["variants"]  # Reused, not retrained.
    assert "Resumed run" in (folder / "index.html").read_text()


def test_cifar10_smoke_run_on_its_sample(offline_sample_only, tmp_path):
    config = smoke_config(dataset="cifar10", train_limit=None)
    metrics = train.run(config, tmp_path / "runs", reports_dir=tmp_path / "reports")
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    html = (tmp_path / "reports" / "image_classification" / "index.html").read_text()
    assert (
        "CIFAR-10" in html and "test-time augmentation: predictions averaged over 6 views" in html
    )


def test_configuration_errors_name_the_field():
    with pytest.raises(ValueError, match="dataset"):
        smoke_config(dataset="mnist")
    with pytest.raises(ValueError, match="residual_blocks"):
        smoke_config(widths=(8, 16, 32))


def test_command_line_end_to_end(tmp_path):
    environment = {
        **os.environ,
        "DLFB_DATA_DIR": str(data.sample_dir()),
        "DLFB_CACHE_DIR": str(tmp_path / "cache"),
    }
    command = [
        sys.executable,
        "-m",
        "projects",
        "all",
        "--preset",
        "smoke",
        "--out",
        str(tmp_path / "reports"),
        "--workdir",
        str(tmp_path / "runs"),
        "--set",
        "hidden_units=relu",
    ]
    finished = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "test accuracy" in finished.stdout
    assert (tmp_path / "reports" / "image_classification" / "index.html").exists()
    assert (tmp_path / "reports" / "index.html").exists()


def test_tuner_runs_two_trials_then_resumes_without_repeating(offline_sample_only, tmp_path):
    conftest.check_tuner_resumes(train, "image_classification", smoke_config(), tmp_path)
