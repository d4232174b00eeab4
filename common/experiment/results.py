"""What a run produced, as data: the report is built from this and nothing else.

Training and evaluation end in a `Results`: the numbers and short texts a report shows
(`metrics`), the arrays its figures draw (`arrays`: predictions, attention weights, sample
images), each model's training record, the plan's tables, and the run's metadata (config, data
source, commit, versions, hardware, wall time). It is saved as `metrics.json` plus
`arrays.npz`, so `python -m projects.<name> report` can rebuild a report in seconds, without
data or models, whenever report code changes.
"""

import dataclasses
import io
import json
import pathlib
import zipfile

import numpy as np

from common.experiment import config as config_lib
from common.report import parts

METRICS_FILE = "metrics.json"
ARRAYS_FILE = "arrays.npz"


@dataclasses.dataclass
class Results:
    """One run's outcome. `config` is the project's Config; the rest is JSON or numpy."""

    project: str
    config: object
    metrics: dict
    arrays: dict
    training: dict  # Model name -> its training record (history, early stopping, cost).
    plan: dict  # {"headline": name or None, "tables": {table: [[row label, model name]]}}
    metadata: dict  # Command, commit, versions, data source, hardware, wall time, preset, seed.

    @property
    def data_source(self):
        return self.metadata.get("data_source") or {}

    @property
    def is_sample(self):
        return bool(self.data_source.get("is_sample"))

    def to_json(self):
        """Everything but the arrays, as strict JSON values (NaN becomes None)."""
        return parts.to_jsonable(
            {
                "project": self.project,
                "metrics": self.metrics,
                "training": self.training,
                "plan": self.plan,
                "metadata": {**self.metadata, "config": config_lib.to_dict(self.config)},
            }
        )

    def arrays_npz(self):
        """The arrays as the bytes of a compressed `.npz` file."""
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **{name: np.asarray(a) for name, a in self.arrays.items()})
        return buffer.getvalue()


def round_trip(results):
    """`results` as `load` would read it back: a report built from it is the report that the
    `report` command rebuilds later, to the last digit."""
    saved = json.loads(parts.dump_json(results.to_json()))
    with np.load(io.BytesIO(results.arrays_npz()), allow_pickle=False) as arrays:
        return from_saved(saved, {name: arrays[name] for name in arrays.files}, results.config)


def from_saved(saved, arrays, config):
    return Results(
        project=saved["project"],
        config=config,
        metrics=saved["metrics"],
        arrays=arrays,
        training=saved.get("training") or {},
        plan=saved.get("plan") or {},
        metadata=saved.get("metadata") or {},
    )


def load(folder, config_class):
    """Reads the results saved in `folder` (a run's `results/` or a published report)."""
    folder = pathlib.Path(folder)
    path = folder / METRICS_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"No saved results in {folder} ({METRICS_FILE} is missing). Train first, or point "
            "--from at a report folder that holds metrics.json and arrays.npz."
        )
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        arrays = {}
        if (folder / ARRAYS_FILE).exists():
            with np.load(folder / ARRAYS_FILE, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        config = config_lib.from_dict(config_class, saved["metadata"]["config"])
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"The results in {folder} cannot be read ({type(error).__name__}: {error}); they "
            "are damaged or were written by an older version. Train again to remake them."
        ) from error
    return from_saved(saved, arrays, config)


def save(results, folder):
    """Writes `metrics.json` and `arrays.npz` into `folder`, each through a temporary file."""
    folder = pathlib.Path(folder)
    parts.write_text_atomically(folder / METRICS_FILE, parts.dump_json(results.to_json()))
    parts.write_text_atomically(folder / ARRAYS_FILE, results.arrays_npz())
