"""The image-classification project: model builders, every ablation row, the plan, a smoke run
through the skeleton (report rebuilt from saved results), CIFAR-10 on its sample, the CLI and
the tuner."""

import ast
import dataclasses
import json
import pathlib
import types

import numpy as np
import pytest

from common.experiment import config as config_lib
from common.experiment import skeleton
from projects.image_classification import __main__ as main
from projects.image_classification import ablations, evaluate, model, train
from projects.image_classification import config as project_config
from projects.image_classification import data as project_data
from tests.projects import conftest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ALL_ABLATIONS = project_config.ABLATIONS


def smoke_config(**changes):
    return config_lib.from_preset(project_config.Config, "smoke", **changes)


def rows(config, ablation):
    return dict(
        ablations.ablation_rows(dataclasses.replace(config, ablations=(ablation,)))[ablation]
    )


@pytest.mark.parametrize("hidden", project_config.HIDDEN_UNIT_NAMES)
def test_every_hidden_unit_builds_and_predicts(hidden):
    network = model.build_model(smoke_config(hidden_unit=hidden))
    probabilities = network.predict(np.zeros((2, 28, 28, 1), "uint8"), verbose=0)
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_parameter_counts_follow_the_hidden_unit():
    names = ("relu", "prelu", "maxout")  # Stages of 8 and 16 filters, one residual block.
    counts = {
        name: model.build_model(smoke_config(hidden_unit=name)).count_params() for name in names
    }
    assert counts["prelu"] - counts["relu"] == 8 + 8 + 8 + 16  # One alpha per channel.
    assert counts["maxout"] > 1.8 * counts["relu"]  # k = 2 affine pieces per unit.


def test_parameter_sharing_conv_fewer_than_tiled_fewer_than_dense():
    architecture = rows(smoke_config(), "architecture")
    counts = [
        model.build_model(architecture[f"one layer: {kind}"]).count_params()
        for kind in ("convolution", "tiled convolution", "dense")
    ]
    assert counts[0] < counts[1] < counts[2]
    # 3 x 3 x 1 x 8 kernel (no bias: batch norm follows); tiled: 4 kernel sets and biases.
    assert counts[1] - counts[0] == 3 * 72 + 4 * 8


def test_residual_and_plain_have_equal_depth_and_parameters():
    architecture = rows(smoke_config(), "architecture")
    plain = model.build_model(architecture["plain, one extra conv pair per stage"])
    residual = model.build_model(architecture["residual, f(x) + x per stage"])
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
    views = project_data.test_time_views(images, smoke_config(dataset="cifar10"))
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


def test_test_once_averages_the_views_probabilities():
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
    tested = evaluate.test_once(Constant(), datasets, config)
    assert tested["views"] == 2
    np.testing.assert_allclose(tested["probabilities"][:, 1:3], 0.5)
    assert tested["accuracy_without_augmentation"] == pytest.approx(1 / 3)


def test_every_ablation_row_trains_one_step(offline_sample_only):
    config = smoke_config(ablations=ALL_ABLATIONS, hidden_units=("maxout",))  # Units: above.
    datasets = project_data.load_datasets(config)
    models = train.plan(config).models
    assert len(models) >= 18
    for name, model_config in models.items():
        network = model.build_model(model_config)
        train.compile_model(network, model_config, datasets)
        network.run_eagerly = True  # One step: tracing a graph would cost more than it saves.
        images, labels = next(iter(datasets.train(model_config)))
        logs = network.train_on_batch(images, labels, return_dict=True)
        assert np.isfinite(logs["loss"]), name


def test_plan_models_are_configs_and_every_ablation_row_shares_one_budget():
    quick, full = (config_lib.from_preset(project_config.Config, n) for n in ("quick", "full"))
    assert set(quick.ablations) == set(full.ablations) == set(ALL_ABLATIONS)
    assert len(train.plan(quick).models) < len(train.plan(full).models)
    plan = train.plan(full)
    assert plan.models[plan.headline] == full
    for name, model_config in plan.models.items():
        if name != plan.headline:
            assert model_config.epochs == full.ablation_epochs, name
            assert model_config.train_limit == full.ablation_train_limit, name
            assert model_config.label_smoothing == 0.0, name
    base = ablations.base_config(full)  # In four tables, trained once.
    assert sum(config == base for config in plan.models.values()) == 1
    assert dict(plan.tables["optimizers"])["adam"] == dict(plan.tables["hidden_units"])["relu"]


def test_set_reaches_the_ablation_learning_rates_and_dropout():
    config = smoke_config(
        ablations=("optimizers", "regularization"), optimizer_learning_rates=(1, 2, 3, 4, 5, 6)
    )
    plan = train.plan(config)
    rates = {label: plan.models[name].learning_rate for label, name in plan.tables["optimizers"]}
    assert rates == {"sgd": 1, "momentum": 2, "adagrad": 4, "rmsprop": 5, "adam": 6}
    dropout = dict(plan.tables["regularization"])["dropout"]
    assert plan.models[dropout].dropout_rate == config.ablation_dropout_rate
    with pytest.raises(ValueError, match="optimizer_learning_rates"):
        smoke_config(optimizer_learning_rates=(0.1,))


def test_data_does_not_import_the_model():
    tree = ast.parse((ROOT / "projects/image_classification/data.py").read_text())
    imported = [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        for alias in node.names
    ]  # fmt: skip
    assert "loaders" in imported and "model" not in imported


def test_multitask_heads_train_and_group_labels_follow_classes():
    grouped = project_data.group_labels(smoke_config(), np.arange(10))
    assert grouped["group"].tolist() == [0, 1, 0, 0, 0, 2, 0, 2, 3, 2]
    config = dataclasses.replace(ablations.base_config(smoke_config()), multitask=True)
    network = model.build_model(config)
    datasets = types.SimpleNamespace(steps_per_epoch=lambda config: 1)
    train.compile_model(network, config, datasets)
    images = np.random.default_rng(0).integers(0, 255, (10, 28, 28, 1)).astype("uint8")
    logs = network.train_on_batch(images, grouped, return_dict=True)
    assert {"class_accuracy", "group_accuracy"} <= set(logs)
    outputs = network.predict(images, verbose=0)
    assert outputs["class"].shape == (10, 10) and outputs["group"].shape == (10, 4)


def test_smoke_run_writes_the_report_resumes_and_rebuilds_it(offline_sample_only, tmp_path):
    config = smoke_config(ablations=("hidden_units", "multitask"), hidden_units=("relu", "maxout"))
    results, html, rebuilt = conftest.run_and_rebuild(main.PROJECT, config, tmp_path)
    metrics = results.metrics
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert metrics["summary"].startswith("test accuracy")
    assert len(metrics["variants"]) == 4  # Headline, relu (= single task), maxout, multi-task.
    for text in ("bundled SAMPLE", "Test set (used once)", "Multi-task", "Budget of every row"):
        assert text in html
    assert "Early stopping did not fire here" in html  # One epoch: it cannot.
    assert "projects/image_classification/evaluate.py:test_once" in html
    assert rebuilt.count("computed by") == html.count("computed by")
    assert len(results.arrays["mistake_images"]) <= evaluate.MISTAKES_SHOWN


def test_cifar10_smoke_run_on_its_sample(offline_sample_only, tmp_path):
    config = smoke_config(dataset="cifar10", train_limit=None)
    results, path = skeleton.run(
        main.PROJECT, config, workdir=tmp_path / "runs", reports_dir=tmp_path / "reports"
    )
    assert 0.0 <= results.metrics["test_accuracy"] <= 1.0
    html = path.read_text()
    assert "CIFAR-10" in html and "predictions averaged over 6 views" in html


def test_configuration_errors_name_the_field():
    for bad, field in (
        (dict(dataset="mnist"), "dataset"),
        (dict(widths=(8, 16, 32)), "residual_blocks"),
        (dict(layer="pixels"), "layer"),
        (dict(penalty="l3"), "penalty"),
        (dict(ablation_dropout_rate=1.5), "ablation_dropout_rate"),
    ):
        with pytest.raises(ValueError, match=field):
            smoke_config(**bad)


def test_command_line_trains_then_rebuilds_the_report(offline_sample_only, tmp_path, capsys):
    """The `train` and `report` commands, as the command line parses them (tests/projects/
    test_resilience.py runs `python -m projects.<name>` itself, in fresh processes)."""
    flags = ["--preset", "smoke", "--out", str(tmp_path / "reports")]
    flags += ["--workdir", str(tmp_path / "runs"), "--set", "hidden_units=relu"]
    for command in ("train", "report"):
        assert main.cli.main(main.PROJECT, [command, *flags]) == 0
        assert "test accuracy" in capsys.readouterr().out
    metrics = tmp_path / "reports" / "image_classification" / "metrics.json"
    assert "report_rebuilt" in json.loads(metrics.read_text())["metadata"]
    assert (tmp_path / "reports" / "index.html").exists()


def test_tuner_runs_a_trial_and_resumes_without_repeating(offline_sample_only, tmp_path):
    conftest.check_tuner_resumes(main.PROJECT, smoke_config(), tmp_path)
