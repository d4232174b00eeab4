"""Load the collection's data sets (Fashion-MNIST, CIFAR-10, IMDB) and feed them to Keras.

Every loader looks in the same places, in order: the `data_dir` argument (the CLI's --data-dir),
the folder in $DLFB_DATA_DIR, known system folders (skipped with DLFB_SYSTEM_DATA=0), a
tensorflow-datasets download, and finally the small bundled sample in common/data/samples (only
when `allow_sample=True`). A folder may hold the
original archive or the extracted files; archives are extracted once into `cache_dir()`. Nothing
found raises DataNotFoundError listing each place tried; a damaged file raises DataFormatError.
The readers for each file format live in `common.data.readers`, the download in
`common.data.downloads`, and the Keras input pipeline in `common.data.pipeline`.
"""

import dataclasses
import hashlib
import os
import pathlib

import numpy as np

from common.data import downloads, errors, locate, readers
from common.data.downloads import TFDS_NAMES, network_problem

CLASS_NAMES = {
    "fashion_mnist": tuple(
        "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot".split(",")
    ),
    "cifar10": tuple("airplane automobile bird cat deer dog frog horse ship truck".split()),
    "imdb": ("negative", "positive"),
}
TITLES = {
    "fashion_mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "imdb": "IMDB reviews",
    "flickr8k": "Flickr8k",
}
SYSTEM_LOCATIONS = {"fashion_mnist": ("/usr/share/datasets/fashion-mnist",)}
SYSTEM_FIXES = {"fashion_mnist": "sudo apt-get install dataset-fashion-mnist"}


@dataclasses.dataclass(frozen=True)
class DataSource:
    """Where loaded data came from, for reports: the fingerprint changes whenever the data does.

    The place is named by its kind and by the file or folder name only, never by a full path,
    so a report that is shared does not share its author's home folder.
    """

    dataset: str
    origin: str  # "data_dir" | "DLFB_DATA_DIR" | "system" | "download" | "sample"
    location: str  # The archive's or folder's name, e.g. "cifar10_png.tar.gz", or "tfds:imdb".
    fingerprint: str
    is_sample: bool

    def describe(self) -> str:
        """One line for a report: "Fashion-MNIST: fashion-mnist (system package), sha256 ..."."""
        kind = ORIGIN_NAMES.get(self.origin, self.origin)
        title = TITLES.get(self.dataset, self.dataset)
        return f"{title}: {self.location} ({kind}), sha256 {self.fingerprint}"

    def as_dict(self) -> dict:
        """The fields as a plain dict (for JSON), with the one-line description."""
        return {**dataclasses.asdict(self), "description": self.describe()}


ORIGIN_NAMES = {
    "data_dir": "--data-dir",
    "DLFB_DATA_DIR": "$DLFB_DATA_DIR",
    "system": "system package",
    "download": "tensorflow-datasets download",
    "sample": "bundled sample",
}


@dataclasses.dataclass(frozen=True)
class ImageData:
    """Images as uint8 (N, height, width, channels) and labels as int32 (N,), for train and test."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]
    source: DataSource


@dataclasses.dataclass(frozen=True)
class TextData:
    """Raw texts as numpy object arrays of str, labels int32 (0 negative, 1 positive)."""

    train_texts: np.ndarray
    train_labels: np.ndarray
    test_texts: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]
    source: DataSource


def sample_dir() -> pathlib.Path:
    """The folder of small bundled samples (common/data/samples), used only with allow_sample."""
    return pathlib.Path(__file__).resolve().parent / "samples"


def load_fashion_mnist(data_dir=None, *, allow_download=True, allow_sample=False) -> ImageData:
    """Fashion-MNIST: 28x28 grayscale clothing images in 10 classes (60,000 train, 10,000 test)."""
    return _load_images("fashion_mnist", (28, 28, 1), data_dir, allow_download, allow_sample)


def load_cifar10(data_dir=None, *, allow_download=True, allow_sample=False) -> ImageData:
    """CIFAR-10: 32x32 colour photos in 10 classes (50,000 train, 10,000 test).

    Reads PNG class folders (`cifar10/{train,test}/<class>/*.png`) or the official python batches.
    """
    return _load_images("cifar10", (32, 32, 3), data_dir, allow_download, allow_sample)


def load_imdb(data_dir=None, *, allow_download=True, allow_sample=False) -> TextData:
    """IMDB movie reviews, raw text as in the files (25,000 train, 25,000 test, half positive)."""
    arrays, source = _load("imdb", None, data_dir, allow_download, allow_sample)
    return TextData(
        arrays["train_x"], arrays["train_y"], arrays["test_x"], arrays["test_y"],
        CLASS_NAMES["imdb"], source,
    )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class CaptionData:
    """Photos with human captions: the image folder, captions by image file name, and the
    official split (lists of file names)."""

    image_dir: pathlib.Path
    captions: dict
    splits: dict
    source: DataSource


def load_flickr8k(data_dir=None) -> CaptionData:
    """Flickr8k (Hodosh et al., 2013): 8,091 photos, 5 captions each, the official 6,000 / 1,000
    / 1,000 split, in the official layout (`Flicker8k_Dataset/*.jpg` and `Flickr8k_text/` or the
    text files beside it) or the `flickr8k_128px.tar.gz` archive of it."""
    found, origin, location = _resolve("flickr8k", data_dir, False, False)
    digest = hashlib.sha256(found.pop("fingerprint_text").encode())
    name = pathlib.Path(location).name
    source = DataSource("flickr8k", origin, name, digest.hexdigest()[:12], False)
    return CaptionData(found["image_dir"], found["captions"], found["splits"], source)


def _load_images(dataset, image_shape, data_dir, allow_download, allow_sample):
    arrays, source = _load(dataset, image_shape, data_dir, allow_download, allow_sample)
    return ImageData(
        arrays["train_x"], arrays["train_y"], arrays["test_x"], arrays["test_y"],
        CLASS_NAMES[dataset], source,
    )  # fmt: skip


def _load(dataset, image_shape, data_dir, allow_download, allow_sample):
    arrays, origin, location = _resolve(dataset, data_dir, allow_download, allow_sample)
    _check(arrays, dataset, image_shape, location)
    fingerprint = _fingerprint(arrays)
    name = str(location) if origin == "download" else pathlib.Path(location).name
    source = DataSource(dataset, origin, name, fingerprint, origin == "sample")
    return arrays, source


def _resolve(dataset, data_dir, allow_download, allow_sample):
    """Try each place in order; return (arrays, origin, location) from the first with the data."""
    tried = []
    places = [("data_dir", data_dir), ("DLFB_DATA_DIR", os.environ.get("DLFB_DATA_DIR"))]
    if os.environ.get("DLFB_SYSTEM_DATA") != "0":  # 0: as on a machine without them.
        places += [("system", folder) for folder in SYSTEM_LOCATIONS.get(dataset, ())]
    for origin, folder in places:
        if not folder:
            tried.append(f"{origin}: not set")
            continue
        try:
            kind, root, location = locate.locate(folder, dataset)
        except errors.NotHere as reason:
            if origin == "data_dir":  # Asked for by name: say so rather than look elsewhere.
                raise errors.DataNotFoundError(
                    f"--data-dir {folder}: {reason}. Point it at the folder that holds the "
                    f"{TITLES[dataset]} files, or leave it out to search the usual places."
                ) from None
            tried.append(f"{origin} {folder}: {reason}")
            locate.progress(f"{origin} {folder}: {reason}; trying the next place")
            continue
        return readers.read(kind, root, CLASS_NAMES.get(dataset)), origin, location
    name = TFDS_NAMES.get(dataset)
    if name is None:
        tried.append("download: tensorflow-datasets has no copy of this data set")
    elif allow_download:
        try:
            return download(name), "download", f"tfds:{name}"
        except errors.NotHere as reason:
            tried.append(f"download with tensorflow-datasets ({name!r}): {reason}")
    else:
        tried.append("download: not allowed (allow_download=False)")
    if allow_sample:
        try:
            kind, root, location = locate.locate(sample_dir(), dataset)
            locate.progress(f"no full {TITLES[dataset]} data found; using the bundled sample")
            return readers.read(kind, root, CLASS_NAMES.get(dataset)), "sample", location
        except errors.NotHere as reason:
            tried.append(f"bundled sample {sample_dir()}: {reason}")
    else:
        tried.append(f"bundled sample in {sample_dir()}: not allowed (allow_sample=False)")
    raise errors.DataNotFoundError(_not_found_message(dataset, tried))


def _not_found_message(dataset, tried):
    names = ", ".join(locate.expected_names(dataset)) + ", or their contents"
    if dataset == "fashion_mnist":
        names = "the four {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz files, or fashion-mnist/"
    lines = [f"No {TITLES[dataset]} data found. Places tried, in order:"]
    lines += [f"  {number}. {entry}" for number, entry in enumerate(tried, start=1)]
    lines += [
        "Fix it with one of:",
        f"  --data-dir /path/to/folder   (a folder holding {names})",
        "  export DLFB_DATA_DIR=/path/to/folder",
    ]
    if dataset in SYSTEM_FIXES:
        lines.append(f"  {SYSTEM_FIXES[dataset]}")
    if dataset in TFDS_NAMES:
        lines.append(f"  run once online: tensorflow-datasets downloads {TFDS_NAMES[dataset]!r}")
        lines.append("  or accept the small bundled sample (allow_sample=True)")
    return "\n".join(lines)


def download(name):
    """Load `name` with tensorflow-datasets (see `downloads.load_tfds`) as numpy arrays.

    `network_problem` is looked up in this module at call time, so tests can patch it here.
    """
    return downloads.load_tfds(name, network_problem)


def _check(arrays, dataset, image_shape, location):
    """Raise DataFormatError unless counts agree, shapes fit and labels lie in range."""
    class_count = len(CLASS_NAMES[dataset])
    for split in ("train", "test"):
        features, labels = arrays[f"{split}_x"], arrays[f"{split}_y"]
        if len(features) != len(labels):
            problem = f"{len(features):,} {split} items but {len(labels):,} labels"
        elif len(labels) == 0:
            problem = f"no {split} items"
        elif image_shape and (features.shape[1:] != image_shape or features.dtype != np.uint8):
            problem = f"{split} images are {features.dtype} {features.shape[1:]}, not {image_shape}"
        elif labels.min() < 0 or labels.max() >= class_count:
            problem = f"{split} labels outside 0..{class_count - 1}"
        elif split == "train" and len(np.unique(labels)) < 2:
            problem = "only one class in the training labels"
        else:
            continue
        raise errors.DataFormatError(f"{location}: {problem}. {locate.fix_hint()}")


def _fingerprint(arrays):
    """A short sha256 over labels and pixels (or texts): equal data, equal fingerprint."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        values = arrays[name]
        if values.dtype == object:
            blob, offsets = readers.pack_texts(values)
            parts = [offsets.tobytes(), blob.tobytes()]
        else:
            parts = [f"{values.dtype.str}{values.shape}".encode(), np.ascontiguousarray(values)]
        for part in [name.encode(), *parts]:
            digest.update(part)
    return digest.hexdigest()[:12]
