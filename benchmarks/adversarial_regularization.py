"""Fashion-MNIST robustness: the base classifier against our adversarially regularized one.

Both train with the project's preset: same architecture, epochs, optimizer and seed. Models that a
finished `python -m projects.adversarial_regularization` run of that preset left in `runs/` are
reused, with the training time that run measured. Both are then scored once on the whole test
set: clean accuracy, white-box FGSM and PGD-20 at eps 0.1 (each attack built on the model it
scores), the NSL tutorial's transfer evaluation (perturbations built on the base model), and the
training-time ratio. The issue's targets are checked and recorded.
"""

import dataclasses
import time

from benchmarks import runner
from common.experiment import config as config_lib
from common.experiment import training
from common.report import meta
from projects.adversarial_regularization import config as project_config
from projects.adversarial_regularization import data, evaluate, model, train

PROJECT = "adversarial_regularization"
TARGETS = {"clean": 0.88, "fgsm": 0.75, "fgsm_ratio_vs_base": 3.0, "pgd": 0.65}


def run(preset="full", data_dir=None, seed=0, workdir="runs", output_dir=runner.RESULTS_DIR):
    config = config_lib.from_preset(project_config.Config, preset, data_dir=data_dir, seed=seed)
    datasets = data.load_datasets(config)
    whole_test = dataclasses.replace(config, curve_examples=len(datasets.test_labels))
    plan = train.plan(config)
    names = ("base", plan.headline)
    # The same folders as `python -m projects.adversarial_regularization --preset <preset>`:
    # models that run finished are reused, with the training time it measured.
    folder = training.run_dir(workdir, PROJECT, preset, config)
    start = time.perf_counter()
    trained = {
        name: training.train_or_reuse(
            name, train.train_model, plan.models[name], datasets, folder / name
        )
        for name in names
    }
    classifiers = {name: model.base_of(trained[name].model) for name in names}
    transferred, labels = evaluate.transfer_images(classifiers["base"], datasets, whole_test)
    rows = {}
    for name, classifier in classifiers.items():
        scores = evaluate.headline(classifier, datasets, config)
        record = trained[name].record
        rows[name] = {
            "name": name,
            "description": model.describe(plan.models[name]),
            "parameters": int(classifier.count_params()),
            "train_seconds": record["wall_time_seconds"],
            "epochs_run": training.summarize(record, plan.models[name].epochs)["epochs_run"],
            "trained_by_an_earlier_run": bool(record.get("resumed")),
            **{key: scores[key] for key in evaluate.HEADLINE_KEYS},
            "transfer": evaluate.transfer_accuracy(classifier, transferred, labels),
        }
    base, robust = rows["base"], rows[plan.headline]
    step_seconds = {
        name: seconds_per_training_step(plan.models[name], datasets)
        for _, name in plan.tables["main"]
    }
    checks = {
        "clean": robust["clean_accuracy"] >= TARGETS["clean"],
        "fgsm": robust["fgsm_accuracy"] >= TARGETS["fgsm"],
        "fgsm_ratio_vs_base": robust["fgsm_accuracy"]
        >= TARGETS["fgsm_ratio_vs_base"] * base["fgsm_accuracy"],
        "pgd": robust["pgd_accuracy"] >= TARGETS["pgd"],
    }
    document = {
        "project": PROJECT,
        "task": f"Fashion-MNIST test accuracy, clean and under white-box L-infinity attacks at "
        f"eps {config.attack_epsilon} (PGD-{config.attack_pgd_steps}: random start)",
        "results": list(rows.values()),
        "fgsm_ratio_vs_base": robust["fgsm_accuracy"] / max(base["fgsm_accuracy"], 1e-9),
        "train_time_ratio": robust["train_seconds"] / base["train_seconds"],
        "seconds_per_training_step": step_seconds,
        "step_time_ratio_vs_base": {
            name: seconds / step_seconds["base"] for name, seconds in step_seconds.items()
        },
        "targets": TARGETS,
        "targets_met": checks,
        "metadata": meta.run_metadata(
            config=config_lib.to_dict(config),
            seed=seed,
            preset=f"benchmark-{preset}",
            data_source=datasets.source.as_dict(),
            wall_time_seconds=time.perf_counter() - start,
        ),
    }
    return runner.write_document(PROJECT, document, markdown(document, config), output_dir)


def seconds_per_training_step(model_config, datasets, steps=40):
    """Wall seconds of one training step (after a warm-up), measured back to back for every
    model of the main table: a cost ratio that does not depend on epochs run or on load during
    a long run. The model is built and compiled as the project's `train.train_model` does."""
    training.set_seed(model_config.seed)
    network = model.build_model(model_config)
    train.compile_model(network, model_config, datasets)
    batches = datasets.train(model_config)
    network.fit(batches.take(5), epochs=1, shuffle=False, verbose=0)  # Builds and traces the step.
    start = time.perf_counter()
    network.fit(batches.take(steps), epochs=1, shuffle=False, verbose=0)
    return (time.perf_counter() - start) / steps


def markdown(document, config):
    metadata = document["metadata"]
    hardware = metadata.get("hardware", {})
    epsilon, steps = config.attack_epsilon, config.attack_pgd_steps
    header = ["model", "params", "train s", "clean", f"FGSM {epsilon}", f"PGD-{steps} {epsilon}"]
    header += ["FGSM from base", f"PGD-{steps} from base"]
    lines = [
        "# adversarial_regularization benchmark",
        "",
        f"{document['task']}. Whole test set; at most {config.epochs} epochs each (early "
        f"stopping on validation loss). Machine: {runner.machine(hardware)}; "
        f"preset {metadata['preset']}.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in document["results"]:
        cells = [row["name"], f"{row['parameters']:,}", f"{row['train_seconds']:.0f}"]
        cells += [f"{row[key]:.4f}" for key in ("clean_accuracy", "fgsm_accuracy", "pgd_accuracy")]
        cells += [f"{row['transfer'][key]:.4f}" for key in ("fgsm", "pgd")]
        lines.append("| " + " | ".join(cells) + " |")
    ratios = ", ".join(
        f"{name} {ratio:.2f}x" for name, ratio in document["step_time_ratio_vs_base"].items()
    )
    met = ", ".join(
        f"{name} {'met' if ok else 'NOT met'}" for name, ok in document["targets_met"].items()
    )
    lines += [
        "",
        f"FGSM accuracy, regularized / base: {document['fgsm_ratio_vs_base']:.1f}x. Training "
        f"time, regularized / base: {document['train_time_ratio']:.2f}x over the whole run; per "
        f"training step, measured back to back: {ratios}. Targets "
        f"({document['targets']}): {met}.",
    ]
    return "\n".join(lines) + "\n"
