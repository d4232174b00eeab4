"""Fetching a data set with tensorflow-datasets, after checking that the download server answers."""

import os
import pathlib
import socket

import numpy as np

from common.data import errors, readers

TFDS_NAMES = {"fashion_mnist": "fashion_mnist", "cifar10": "cifar10", "imdb": "imdb_reviews"}
DOWNLOAD_HOST = ("storage.googleapis.com", 443)


def network_problem():
    """None when the download server answers, else why not (so offline runs fail fast)."""
    if os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy"):
        return None  # a proxy may reach what a direct connection cannot: let tfds try
    try:
        with socket.create_connection(DOWNLOAD_HOST, timeout=3):
            return None
    except OSError as error:
        return f"offline (cannot reach {DOWNLOAD_HOST[0]}: {error})"


def prepared_earlier(name):
    """Whether tensorflow-datasets' folder ($TFDS_DATA_DIR, else ~/tensorflow_datasets) holds a
    prepared copy of `name` (a `dataset_info.json` under `name/`), checked without tfds."""
    root = pathlib.Path(os.environ.get("TFDS_DATA_DIR") or "~/tensorflow_datasets").expanduser()
    return any((root / name).glob("**/dataset_info.json"))


def load_tfds(name, check_network=network_problem):
    """Load `name` with tensorflow-datasets (downloading it if online) as numpy arrays.

    `check_network` returns None when online, else why not (see `network_problem`). Raises
    errors.NotHere with the reason when tensorflow-datasets cannot provide it.
    """
    offline = check_network()
    if offline and not prepared_earlier(name):
        # Nothing tfds could load: say so at once, without its import (seconds) and its
        # warnings about the folders it looked in.
        raise errors.NotHere(f"{offline}, and not prepared earlier")
    import tensorflow_datasets as tfds  # imported here: slow, and needed only for downloads

    try:
        splits = tfds.load(name, split=["train", "test"], as_supervised=True, download=not offline)
    except Exception as error:  # tfds fails in many ways (network, missing files); all mean "no"
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        reason = f"{offline}, and not prepared earlier" if offline else f"failed: {first_line}"
        raise errors.NotHere(reason) from error
    arrays = {}
    for split, dataset in zip(("train", "test"), splits, strict=True):
        batches = list(dataset.batch(8192).as_numpy_iterator())
        features = np.concatenate([features for features, _ in batches])
        if features.dtype == object:  # text arrives as bytes
            features = readers.text_array(text.decode("utf-8") for text in features)
        arrays[f"{split}_x"] = features
        arrays[f"{split}_y"] = np.concatenate([labels for _, labels in batches]).astype(np.int32)
    return arrays
