"""python -m projects.denoising_autoencoder [train|tune] --preset smoke|quick|full ..."""

import sys

from common.experiment import cli
from projects.denoising_autoencoder import config

PROJECT = cli.Project(
    name="denoising_autoencoder",
    description="Autoencoders on Fashion-MNIST (or CIFAR-10): undercomplete, denoising, sparse, "
    "contractive and predictive; PSNR/SSIM, ablations, linear probes on the codes.",
    config_class=config.Config,
    run="projects.denoising_autoencoder.train:run",
    tune="projects.denoising_autoencoder.train:tune",
)

if __name__ == "__main__":
    sys.exit(cli.main(PROJECT))
