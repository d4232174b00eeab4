"""Readers for the original file formats (IDX, PNG class folders, CIFAR python batches, aclImdb
text folders) into dicts of numpy arrays `train_x`, `train_y`, `test_x`, `test_y`, with the
helpers that pack texts into arrays.
"""

import gzip
import itertools
import pickle
import re
import zlib

import numpy as np
import PIL.Image

from common.data import locate

IDX_IMAGES, IDX_LABELS = 0x00000803, 0x00000801
TRAIN_BATCHES = [f"data_batch_{number}" for number in range(1, 6)]
# What unpickling a file that is not a CIFAR batch (or is damaged) may raise.
PICKLE_ERRORS = (OSError, EOFError, pickle.UnpicklingError, AttributeError, KeyError, TypeError)


def natural_key(path):
    """Sort key that orders `2.png` before `10.png` (numbers compared as numbers)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def require_folders(folders):
    """Raise DataFormatError for the first of `folders` that is missing."""
    for folder in folders:
        if not folder.is_dir():
            raise locate.format_error(folder, "is missing")


def labeled_files(folder, class_folders, suffix):
    """(path, label) of every `suffix` file in `folder/<class>/`, label = the class's position.

    Files come in natural order; a class folder without such files is an error.
    """
    labeled = []
    for label, name in enumerate(class_folders):
        files = [path for path in (folder / name).iterdir() if path.name.endswith(suffix)]
        if not files:
            raise locate.format_error(folder / name, f"holds no {suffix} files")
        labeled += [(path, label) for path in sorted(files, key=natural_key)]
    return labeled


def read(kind, root, class_names):
    """Read the data set found by `locate`, dispatching on its format."""
    readers = {"idx": read_idx_folder, "png": read_png_folders, "batches": read_cifar_batches}
    if kind == "text":
        return read_aclimdb(root)
    if kind == "flickr8k":
        return read_flickr8k(root)
    return readers[kind](root, class_names)


def read_idx(path, magic):
    """Read one gzip-compressed IDX file (the MNIST format): a magic number, sizes, then bytes."""
    if not path.is_file():
        raise locate.format_error(path, "is missing")
    try:
        with gzip.open(path, "rb") as file:
            raw = file.read()
    except (OSError, EOFError, zlib.error) as error:
        raise locate.format_error(path, f"is not a readable .gz file ({error})") from error
    found = int.from_bytes(raw[:4], "big")
    if len(raw) < 8 or found != magic:
        raise locate.format_error(path, f"has magic number {found:#010x}, expected {magic:#010x}")
    shape = tuple(int(size) for size in np.frombuffer(raw, ">u4", count=raw[3], offset=4))
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * len(shape))
    if data.size != np.prod(shape):
        problem = f"holds {data.size:,} data bytes but its header promises {shape} (truncated?)"
        raise locate.format_error(path, problem)
    return data.reshape(shape)


def read_idx_folder(root, class_names):
    """Read Fashion-MNIST's four IDX files, checking image size, counts and label range."""
    arrays = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images_path = root / f"{prefix}-images-idx3-ubyte.gz"
        labels_path = root / f"{prefix}-labels-idx1-ubyte.gz"
        images, labels = read_idx(images_path, IDX_IMAGES), read_idx(labels_path, IDX_LABELS)
        if images.shape[1:] != (28, 28):
            raise locate.format_error(
                images_path, f"holds {images.shape[1:]} images, expected 28x28"
            )
        if len(images) != len(labels):
            raise locate.format_error(
                labels_path, f"holds {len(labels)} labels for {len(images)} images"
            )
        if labels.size and labels.max() >= len(class_names):
            raise locate.format_error(labels_path, f"holds label {labels.max()}, expected 0..9")
        arrays[f"{split}_x"], arrays[f"{split}_y"] = images[..., None], labels.astype(np.int32)
    return arrays


def read_png_folders(root, class_names):
    """Read `root/{train,test}/<class>/*.png` (32x32 RGB), decoding once and caching the arrays."""
    folders = [root / split / name for split in ("train", "test") for name in class_names]
    require_folders(folders)
    return locate.cached_arrays("cifar10", root, folders, lambda: _decode_pngs(root, class_names))


def _decode_pngs(root, class_names):
    arrays = {}
    for split in ("train", "test"):
        files = labeled_files(root / split, class_names, ".png")
        locate.progress(
            f"decoding {len(files):,} PNG files in {root / split} (once; cached afterwards)"
        )
        images = np.empty((len(files), 32, 32, 3), np.uint8)
        for index, (path, _) in enumerate(files):
            images[index] = _read_png(path)
        arrays[f"{split}_x"] = images
        arrays[f"{split}_y"] = np.array([label for _, label in files], np.int32)
    return arrays


def _read_png(path):
    try:
        with PIL.Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError, ValueError) as error:
        raise locate.format_error(path, f"is not a readable image ({error})") from error
    if pixels.shape != (32, 32, 3):
        raise locate.format_error(path, f"has shape {pixels.shape}, expected 32x32x3")
    return pixels


def read_cifar_batches(root, class_names):
    """Read the official CIFAR-10 python version: pickled `data_batch_1..5` and `test_batch`."""
    arrays = {}
    for split, names in (("train", TRAIN_BATCHES), ("test", ["test_batch"])):
        batches = [_read_cifar_batch(root / name) for name in names]
        arrays[f"{split}_x"] = np.concatenate([images for images, _ in batches])
        arrays[f"{split}_y"] = np.concatenate([labels for _, labels in batches])
    return arrays


def _read_cifar_batch(path):
    if not path.is_file():
        raise locate.format_error(path, "is missing")
    try:
        with open(path, "rb") as file:
            batch = pickle.load(file, encoding="bytes")  # python 2 pickles: keys arrive as bytes
        batch = {
            (key.decode() if isinstance(key, bytes) else key): value for key, value in batch.items()
        }
        data, labels = np.asarray(batch["data"], np.uint8), np.asarray(batch["labels"], np.int32)
    except PICKLE_ERRORS as error:
        raise locate.format_error(path, f"is not a CIFAR-10 batch ({error!r})") from error
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        problem = f"holds data of shape {data.shape} for {len(labels)} labels, expected (N, 3072)"
        raise locate.format_error(path, problem)
    return np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)), labels


def read_aclimdb(root):
    """Read `root/{train,test}/{neg,pos}/<id>_<rating>.txt` as raw text; labels 0 neg, 1 pos."""
    folders = [root / split / label for split in ("train", "test") for label in ("neg", "pos")]
    require_folders(folders)
    packed = locate.cached_arrays("imdb", root, folders, lambda: _read_reviews(root))
    arrays = {"train_y": packed["train_y"], "test_y": packed["test_y"]}
    for split in ("train", "test"):
        arrays[f"{split}_x"] = unpack_texts(packed[f"{split}_x_blob"], packed[f"{split}_x_offsets"])
    return arrays


def _read_reviews(root):
    arrays = {}
    for split in ("train", "test"):
        files = labeled_files(root / split, ("neg", "pos"), ".txt")
        locate.progress(
            f"reading {len(files):,} reviews in {root / split} (once; cached afterwards)"
        )
        texts = [_read_text(path) for path, _ in files]
        arrays[f"{split}_x_blob"], arrays[f"{split}_x_offsets"] = pack_texts(texts)
        arrays[f"{split}_y"] = np.array([label for _, label in files], np.int32)
    return arrays


def _read_text(path):
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise locate.format_error(path, f"is not readable UTF-8 text ({error})") from error


def pack_texts(texts):
    """Pack strings into one UTF-8 byte array plus offsets: compact to save and quick to hash."""
    encoded = [text.encode("utf-8") for text in texts]
    offsets = np.cumsum([0] + [len(item) for item in encoded], dtype=np.int64)
    return np.frombuffer(b"".join(encoded), np.uint8), offsets


def unpack_texts(blob, offsets):
    """The inverse of `pack_texts`: a numpy object array of str."""
    raw, ends = blob.tobytes(), offsets.tolist()
    return text_array(raw[start:end].decode("utf-8") for start, end in itertools.pairwise(ends))


def text_array(texts):
    """A 1-D numpy object array holding the given str objects (never a fixed-width str array)."""
    texts = list(texts)
    array = np.empty(len(texts), dtype=object)
    array[:] = texts
    return array


FLICKR8K_SPLITS = {"train": "trainImages", "dev": "devImages", "test": "testImages"}


def read_flickr8k(root):
    """Flickr8k's captions (`Flickr8k.token.txt`: "<image>.jpg#<n>\t<caption>") and official
    split files, checked against the image folder: every caption and split entry must name an
    image that is there. Images are not decoded here (the project decodes them at its size)."""
    image_dir = root / "Flicker8k_Dataset"
    text_dir = root / "Flickr8k_text" if (root / "Flickr8k_text").is_dir() else root
    token_file = text_dir / "Flickr8k.token.txt"
    if not token_file.is_file():
        raise locate.format_error(token_file, "is missing")
    images = {path.name: path.stat().st_size for path in image_dir.iterdir() if path.is_file()}
    captions = {}
    lines = _read_text(token_file).splitlines()
    for number, line in enumerate(lines, start=1):
        name, separator, caption = line.partition("\t")
        name = name.split("#")[0].strip()
        if not line.strip():
            continue
        if not separator or not name:
            raise locate.format_error(token_file, f"line {number} is not '<image>#<n>\\t<caption>'")
        if name not in images:
            raise locate.format_error(
                token_file, f"line {number} names {name}, which is not in {image_dir}"
            )
        captions.setdefault(name, []).append(caption.strip())
    splits, texts = {}, [_read_text(token_file)]
    for split, stem in FLICKR8K_SPLITS.items():
        path = text_dir / f"Flickr_8k.{stem}.txt"
        if not path.is_file():
            raise locate.format_error(path, "is missing")
        texts.append(_read_text(path))
        names = [name.strip() for name in texts[-1].splitlines() if name.strip()]
        absent = [name for name in names if name not in captions]
        if absent:
            raise locate.format_error(path, f"lists {absent[0]}, which has no caption or image")
        splits[split] = names
    listing = "".join(f"{name}:{size};" for name, size in sorted(images.items()))
    return {
        "image_dir": image_dir,
        "captions": captions,
        "splits": splits,
        "fingerprint_text": "\n".join(texts) + listing,
    }
