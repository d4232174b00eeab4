"""python -m projects.denoising_autoencoder [train|report|tune] --preset smoke|quick|full ...

The project's parts, in the order a run uses them: config, data, the plan and the recipe
(train.py), the models (model.py with noise.py, regularizers.py, unet.py), the evaluation
(evaluate.py with codes.py, probes.py) and the report.
"""

import sys

from common.experiment import cli, skeleton
from projects.denoising_autoencoder import config, data, evaluate, model, report, train

PROJECT = skeleton.Project(
    name="denoising_autoencoder",
    description="Autoencoders on Fashion-MNIST (or CIFAR-10): undercomplete, denoising, sparse, "
    "contractive and predictive; PSNR/SSIM, ablations, linear probes on the codes.",
    config_class=config.Config,
    load_datasets=data.load_datasets,
    plan=train.plan,
    train_model=train.train_model,
    evaluate=evaluate.evaluate,
    build_report=report.build_report,
    build_model=model.build_model,
    hyperparameters=model.hyperparameters,
    compile_model=train.compile_model,
    tuner_objective=("val_psnr", "max"),
)

if __name__ == "__main__":
    sys.exit(cli.main(PROJECT))
