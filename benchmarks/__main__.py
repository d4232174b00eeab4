"""python -m benchmarks [all|<project> ...] --preset full: measure, write benchmarks/results/."""

import argparse
import importlib
import sys

import common  # noqa: F401  (selects the TensorFlow backend before Keras loads)
from common.experiment import console

BENCHMARKS = (
    "image_classification",
    "sentiment_lstm",
    "denoising_autoencoder",
    "adversarial_regularization",
    "image_captioning",
    "image_captioning_shapes",
)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("projects", nargs="*", default=["all"], help="all, or project names.")
    parser.add_argument("--preset", default="full", choices=("smoke", "quick", "full"))
    parser.add_argument("--data-dir", help="Folder with the data sets (see README 'Data').")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)
    names = BENCHMARKS if "all" in arguments.projects else arguments.projects
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"no benchmark for {unknown}; choose from {list(BENCHMARKS)}")
    with console.filtered_stderr():  # TensorFlow's harmless "E0000 oneDNN ..." lines dropped.
        for name in names:
            module = importlib.import_module(f"benchmarks.{name}")
            path = module.run(arguments.preset, arguments.data_dir, arguments.seed)
            print(f"{name}: {path}\n{path.with_suffix('.md').read_text()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
