"""Tests for common.data: loaders on the bundled samples, the cache, errors, splits, pipelines.

No network and no shared data: downloads are off (or mocked), the cache lives in tmp_path, and the
system locations are emptied so only the bundled samples and files built here are read.
"""

import gzip
import pickle
import shutil

import keras
import numpy as np
import PIL.Image
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from common.data import downloads, errors, loaders, locate, pipeline, readers

FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A private cache, no DLFB_DATA_DIR, and no system locations for every test."""
    monkeypatch.setenv("DLFB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DLFB_DATA_DIR", raising=False)
    monkeypatch.setattr(loaders, "SYSTEM_LOCATIONS", {})


def load_sample(loader):
    return loader(allow_download=False, allow_sample=True)


def fashion_copy(folder):
    """A copy of the Fashion-MNIST sample in `folder`, to modify or break."""
    shutil.copytree(loaders.sample_dir() / "fashion-mnist", folder)
    return folder


def write_idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in array.shape)
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_sample():
    images = load_sample(loaders.load_fashion_mnist)
    assert images.train_images.shape == (6000, 28, 28, 1)
    assert images.test_images.shape == (1000, 28, 28, 1)
    assert images.train_images.dtype == np.uint8 and images.train_labels.dtype == np.int32
    assert np.bincount(images.train_labels).tolist() == [600] * 10
    assert images.class_names[0] == "T-shirt/top" and images.class_names[-1] == "Ankle boot"
    assert images.source.is_sample and images.source.origin == "sample"
    assert images.source.fingerprint == load_sample(loaders.load_fashion_mnist).source.fingerprint
    assert "(bundled sample)" in images.source.describe()
    assert images.source.as_dict()["dataset"] == "fashion_mnist"


def test_cifar10_sample():
    images = load_sample(loaders.load_cifar10)
    assert images.train_images.shape == (500, 32, 32, 3)
    assert images.test_images.shape == (200, 32, 32, 3)
    assert images.train_images.dtype == np.uint8 and images.test_labels.dtype == np.int32
    assert np.bincount(images.test_labels).tolist() == [20] * 10
    assert images.class_names == loaders.CLASS_NAMES["cifar10"]
    assert images.class_names[:2] == ("airplane", "automobile")
    assert images.source.location.endswith("cifar10_png_sample.tar.gz")


def test_imdb_sample():
    texts = load_sample(loaders.load_imdb)
    assert texts.train_texts.shape == (2000,) and texts.test_texts.shape == (1000,)
    assert texts.train_texts.dtype == object and isinstance(texts.train_texts[0], str)
    assert np.bincount(texts.train_labels).tolist() == [1000, 1000]
    assert texts.class_names == ("negative", "positive")
    assert texts.source.is_sample


def test_fingerprints_differ_for_different_data(tmp_path):
    sample = load_sample(loaders.load_fashion_mnist).source.fingerprint
    folder = fashion_copy(tmp_path / "fashion")
    labels = np.array([0, 1] * 500, np.uint8)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels, readers.IDX_LABELS)
    changed = loaders.load_fashion_mnist(folder, allow_download=False)
    assert changed.source.fingerprint != sample
    assert sample != load_sample(loaders.load_cifar10).source.fingerprint


def test_archive_extracted_and_decoded_only_once(monkeypatch):
    first = load_sample(loaders.load_cifar10)

    def fail(*arguments, **keywords):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(locate.tarfile, "open", fail)
    monkeypatch.setattr(readers, "_decode_pngs", fail)
    second = load_sample(loaders.load_cifar10)
    assert second.source.fingerprint == first.source.fingerprint
    assert len(list((locate.cache_dir() / "extracted").iterdir())) == 1


def test_data_dir_beats_environment_which_beats_sample(tmp_path, monkeypatch):
    given, environment = fashion_copy(tmp_path / "given"), fashion_copy(tmp_path / "env")
    monkeypatch.setenv("DLFB_DATA_DIR", str(environment))
    from_env = loaders.load_fashion_mnist(allow_download=False, allow_sample=True)
    assert from_env.source.origin == "DLFB_DATA_DIR"
    assert from_env.source.location == environment.name  # A name, never a full path.
    assert str(tmp_path) not in from_env.source.describe()
    assert "$DLFB_DATA_DIR" in from_env.source.describe()
    assert not from_env.source.is_sample
    from_argument = loaders.load_fashion_mnist(given, allow_download=False, allow_sample=True)
    assert from_argument.source.origin == "data_dir"
    assert from_argument.source.location == given.name


def test_official_cifar_python_batches(tmp_path):
    folder = tmp_path / "data" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    pixels = np.concatenate(
        [np.full((4, 1024), channel, np.uint8) for channel in (1, 2, 3)], axis=1
    )
    for name in [f"data_batch_{number}" for number in range(1, 6)] + ["test_batch"]:
        batch = {b"data": pixels, b"labels": [0, 1, 2, 9], b"batch_label": name.encode()}
        (folder / name).write_bytes(pickle.dumps(batch))
    images = loaders.load_cifar10(tmp_path / "data", allow_download=False)
    assert images.train_images.shape == (20, 32, 32, 3) and images.test_images.shape == (
        4,
        32,
        32,
        3,
    )
    assert images.train_images[0, 5, 7].tolist() == [1, 2, 3]
    assert images.test_labels.tolist() == [0, 1, 2, 9]
    assert images.source.location == folder.name


def test_missing_data_lists_every_place_tried(tmp_path, monkeypatch):
    monkeypatch.setenv("DLFB_DATA_DIR", str(tmp_path / "also-missing"))
    with pytest.raises(errors.DataNotFoundError) as caught:
        loaders.load_cifar10(allow_download=False)
    message = str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)
    for expected in (
        "data_dir: not set",
        "also-missing: folder does not exist",
        "download",
        "sample",
    ):
        assert expected in message
    assert "--data-dir" in message and "export DLFB_DATA_DIR" in message


def test_truncated_archive_is_a_format_error(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    whole = (loaders.sample_dir() / "cifar10_png_sample.tar.gz").read_bytes()
    (folder / "cifar10_png.tar.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(errors.DataFormatError, match="cifar10_png.tar.gz"):
        loaders.load_cifar10(folder, allow_download=False)
    assert list((locate.cache_dir() / "extracted").iterdir()) == []  # no half-filled cache left


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (np.zeros(999, np.uint8), "999 labels for 1000 images"),
        (np.full(1000, 12, np.uint8), "label 12"),
    ],
)
def test_wrong_label_file_is_a_format_error(tmp_path, labels, expected):
    folder = fashion_copy(tmp_path / "fashion")
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels, readers.IDX_LABELS)
    with pytest.raises(errors.DataFormatError, match=expected) as caught:
        loaders.load_fashion_mnist(folder, allow_download=False)
    assert "t10k-labels-idx1-ubyte.gz" in str(caught.value)


def test_bad_magic_number_and_truncated_gzip(tmp_path):
    folder = fashion_copy(tmp_path / "fashion")
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(1000, np.uint8), 0x1234)
    with pytest.raises(errors.DataFormatError, match="magic number"):
        loaders.load_fashion_mnist(folder, allow_download=False)
    path = fashion_copy(tmp_path / "fashion2") / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(errors.DataFormatError, match="train-images-idx3-ubyte.gz"):
        loaders.load_fashion_mnist(tmp_path / "fashion2", allow_download=False)


def tiny_cifar_folder(tmp_path):
    """A CIFAR-10 PNG layout with one black 32x32 image per class and split."""
    root = tmp_path / "cifar10"
    for split in ("train", "test"):
        for name in loaders.CLASS_NAMES["cifar10"]:
            (root / split / name).mkdir(parents=True)
            PIL.Image.new("RGB", (32, 32)).save(root / split / name / "1.png")
    return root


def test_broken_png_and_missing_class_folder(tmp_path):
    root = tiny_cifar_folder(tmp_path)
    (root / "test" / "truck" / "2.png").write_bytes(b"not a png")
    with pytest.raises(errors.DataFormatError, match="2.png"):
        loaders.load_cifar10(tmp_path, allow_download=False)
    shutil.rmtree(root / "test" / "truck")
    with pytest.raises(errors.DataFormatError, match="truck is missing"):
        loaders.load_cifar10(tmp_path, allow_download=False)


def test_download_with_tensorflow_datasets(monkeypatch):
    monkeypatch.setattr(loaders, "network_problem", lambda: None)
    with tfds.testing.mock_data(num_examples=12):
        images = loaders.load_fashion_mnist(allow_download=True)
        texts = loaders.load_imdb(allow_download=True)
    assert images.source.origin == "download" and images.source.location == "tfds:fashion_mnist"
    assert images.train_images.shape == (12, 28, 28, 1) and images.test_labels.shape == (12,)
    assert images.train_labels.dtype == np.int32
    assert texts.train_texts.shape == (12,) and isinstance(texts.train_texts[0], str)


def test_offline_without_a_prepared_copy_is_not_here_without_asking_tfds(monkeypatch, tmp_path):
    """Offline, tfds is not even asked (it would only warn about folders that do not exist)."""

    calls = []

    def load(*arguments, **options):
        calls.append(arguments)
        raise ValueError("not prepared")  # What tfds would say, after its warnings.

    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setattr(tfds, "load", load)
    with pytest.raises(errors.NotHere, match=r"offline \(test\), and not prepared earlier"):
        downloads.load_tfds("fashion_mnist", lambda: "offline (test)")
    assert calls == []
    prepared = tmp_path / "tfds" / "fashion_mnist" / "3.0.1"
    prepared.mkdir(parents=True)
    (prepared / "dataset_info.json").write_text("{}")
    assert downloads.prepared_earlier("fashion_mnist")
    assert not downloads.prepared_earlier("imdb_reviews")


def test_split_validation_is_stratified_and_deterministic():
    labels = np.array([0] * 100 + [1] * 50, np.int32)
    features = np.arange(150)
    (train_x, train_y), (val_x, val_y) = pipeline.split_validation(features, labels, 0.2, seed=1)
    assert np.bincount(val_y).tolist() == [20, 10] and np.bincount(train_y).tolist() == [80, 40]
    assert sorted(np.concatenate([train_x, val_x]).tolist()) == features.tolist()
    (_, _), (again_x, _) = pipeline.split_validation(features, labels, 0.2, seed=1)
    (_, _), (other_x, _) = pipeline.split_validation(features, labels, 0.2, seed=2)
    assert again_x.tolist() == val_x.tolist() and other_x.tolist() != val_x.tolist()


def test_make_pipeline_batches_shuffles_and_maps():
    features, labels = np.arange(10, dtype=np.float32), np.arange(10, dtype=np.int32)

    def epoch(pipeline):
        return [x.tolist() for x, _ in pipeline.as_numpy_iterator()]

    plain = pipeline.make_pipeline(features, labels, batch_size=4, shuffle=False, seed=0)
    assert epoch(plain) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    dropped = pipeline.make_pipeline(
        features, labels, batch_size=4, shuffle=False, seed=0, drop_remainder=True
    )
    assert len(epoch(dropped)) == 2
    shuffled = pipeline.make_pipeline(features, labels, batch_size=10, shuffle=True, seed=3)
    first, second = epoch(shuffled), epoch(shuffled)
    assert first == epoch(
        pipeline.make_pipeline(features, labels, batch_size=10, shuffle=True, seed=3)
    )
    assert first != second and sorted(first[0]) == list(range(10))  # a new order each epoch
    doubled = pipeline.make_pipeline(
        features, labels, batch_size=5, shuffle=False, seed=0, map_fn=lambda x, y: (x * 2, y)
    )
    assert epoch(doubled)[0] == [0, 2, 4, 6, 8]
    unlabeled = pipeline.make_pipeline(features, None, batch_size=5, shuffle=False, seed=0)
    assert [batch.tolist() for batch in unlabeled.as_numpy_iterator()][1] == [5, 6, 7, 8, 9]


def test_explicit_data_dir_without_the_data_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DLFB_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(errors.DataNotFoundError, match="--data-dir .*empty"):
        loaders.load_fashion_mnist(tmp_path / "empty", allow_download=False, allow_sample=True)


def test_split_and_limit_takes_a_seeded_subset_of_every_class_in_order():
    labels = np.repeat(np.arange(2), 500)  # Sorted by class, like IMDB's files.
    features = np.arange(1000)
    (train_x, train_y), (val_x, _) = pipeline.split_and_limit(
        features, labels, fraction=0.1, seed=3, limit=100
    )
    assert len(train_x) == 100 and len(val_x) == 100
    assert set(np.unique(train_y)) == {0, 1}  # Not the first 100 (one class).
    assert np.all(np.diff(train_x) > 0) and not set(train_x) & set(val_x)
    again = pipeline.split_and_limit(features, labels, fraction=0.1, seed=3, limit=100)
    np.testing.assert_array_equal(again[0][0], train_x)
    unlimited = pipeline.split_and_limit(features, labels, fraction=0.1, seed=3)
    assert len(unlimited[0][0]) == 900
    np.testing.assert_allclose(pipeline.to_float(np.array([0, 255], "uint8")), [0.0, 1.0])


def test_seeded_subset_is_random_ordered_and_repeatable():
    features, labels = np.arange(100) * 10, np.arange(100) % 4
    subset_x, subset_y = pipeline.seeded_subset(features, labels, limit=20, seed=3)
    assert len(subset_y) == 20 and list(subset_x) == sorted(subset_x)
    assert list(subset_x) != list(features[:20])  # Not simply the first twenty.
    np.testing.assert_array_equal(
        subset_x, pipeline.seeded_subset(features, labels, limit=20, seed=3)[0]
    )
    assert pipeline.seeded_subset(features, labels, limit=None, seed=3)[0] is features


def test_random_map_gets_a_fresh_stateless_seed_per_batch_and_repeats_with_the_seed():
    features, labels = np.zeros((12, 2), "float32"), np.arange(12)

    def add_noise(x, y, seed):
        return x + tf.random.stateless_uniform(tf.shape(x), seed), y

    def two_epochs():
        keras.utils.set_random_seed(5)
        dataset = pipeline.make_pipeline(
            features, labels, batch_size=4, shuffle=True, seed=5, random_map_fn=add_noise
        )
        return [np.concatenate([x.numpy() for x, _ in dataset]) for _ in range(2)]

    first, second = two_epochs(), two_epochs()
    np.testing.assert_array_equal(first[0], second[0])  # Same seed, same run.
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.allclose(first[0], first[1])  # A new draw every epoch.
    assert len(np.unique(first[0])) == first[0].size  # A new draw for every batch.


def test_data_dir_with_spaces_and_unicode_is_read_like_any_other(tmp_path):
    folder = fashion_copy(tmp_path / "mes données é 数据" / "fashion mnist")
    images = loaders.load_fashion_mnist(folder, allow_download=False)
    sample = loaders.load_fashion_mnist(loaders.sample_dir(), allow_download=False)
    assert np.array_equal(images.train_images, sample.train_images)
    assert images.source.fingerprint == sample.source.fingerprint


def test_images_of_the_wrong_size_are_a_format_error_and_other_modes_are_converted(tmp_path):
    root = tiny_cifar_folder(tmp_path)
    PIL.Image.new("RGBA", (32, 32), (9, 9, 9, 0)).save(root / "train" / "cat" / "2.png")
    PIL.Image.new("L", (32, 32), 7).save(root / "train" / "dog" / "2.png")
    images = loaders.load_cifar10(tmp_path, allow_download=False)
    assert images.train_images.shape[1:] == (32, 32, 3)
    assert {9, 7} <= set(np.unique(images.train_images).tolist())
    PIL.Image.new("L", (28, 28)).save(root / "test" / "cat" / "3.png")  # A Fashion-MNIST image.
    with pytest.raises(errors.DataFormatError, match=r"3.png has shape \(28, 28, 3\), expected"):
        loaders.load_cifar10(tmp_path, allow_download=False)
