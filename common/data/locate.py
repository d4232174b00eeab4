"""Finding the original data sets and the cache they are unpacked and decoded into.

`common.data.loaders` is the entry point the projects use; this module holds its low-level parts:
finding a data set inside a folder, extracting an archive once into a cache, and saving decoded
arrays in that cache. The readers for each file format live in `common.data.readers`.
"""

import gzip
import hashlib
import os
import pathlib
import shutil
import sys
import tarfile
import tempfile
import zipfile
import zlib

import numpy as np

from common.data import errors

# Where a data set may sit inside a folder: (subfolder, path that must exist in it, format).
LAYOUTS = {
    "fashion_mnist": (("fashion-mnist", "", "idx"), (".", "train-images-idx3-ubyte.gz", "idx")),
    "cifar10": (
        ("cifar10", "", "png"),
        ("cifar-10-batches-py", "", "batches"),
        (".", "train/airplane", "png"),
        (".", "data_batch_1", "batches"),
    ),
    "imdb": (("aclImdb", "", "text"), (".", "train/pos", "text")),
    "flickr8k": (
        ("Flickr8k", "Flicker8k_Dataset", "flickr8k"),
        (".", "Flicker8k_Dataset", "flickr8k"),
    ),
}
# Archives accepted in a folder, in order of preference (the bundled sample's name comes last).
ARCHIVES = {
    "fashion_mnist": (),
    "cifar10": ("cifar10_png.tar.gz", "cifar-10-python.tar.gz", "cifar10_png_sample.tar.gz"),
    "imdb": ("aclImdb_v1_labeled.tar.gz", "aclImdb_v1.tar.gz", "aclImdb_sample.tar.gz"),
    "flickr8k": ("flickr8k_128px.tar.gz",),
}
# Archive members never extracted: aclImdb's unlabeled reviews and bag-of-words files.
SKIPPED_MEMBERS = frozenset({"unsup", "labeledBow.feat", "unsupBow.feat", "imdbEr.txt"})


def progress(message):
    """Print one short progress line to stderr, so long steps (extracting, decoding) are visible."""
    print(f"[data] {message}", file=sys.stderr, flush=True)


def cache_dir():
    """The folder for extracted archives and decoded arrays: $DLFB_CACHE_DIR, else ~/.cache/dlfb."""
    return pathlib.Path(os.environ.get("DLFB_CACHE_DIR") or "~/.cache/dlfb").expanduser()


def fix_hint():
    """The advice every DataFormatError ends with."""
    return (
        "Fix: re-download or re-install the data set (your files are left untouched); if it came "
        f"from an archive, also delete the cache folder {cache_dir()} so it is extracted again."
    )


def format_error(path, problem):
    """A DataFormatError that names the file, says what is wrong with it, and how to fix it."""
    return errors.DataFormatError(f"{path} {problem}. {fix_hint()}")


def expected_names(dataset):
    """The folder and archive names `locate` looks for, for error messages."""
    folders = [f"{sub}/" for sub, _, _ in LAYOUTS[dataset] if sub != "."]
    return folders + [name for name in ARCHIVES[dataset] if "_sample" not in name]


def locate(folder, dataset):
    """Find `dataset` in `folder`, extracting an archive if needed; return (format, root, location).

    Raises NotHere when the folder holds none of the expected names.
    """
    folder = pathlib.Path(folder).expanduser()
    if not folder.is_dir():
        raise errors.NotHere("not a folder" if folder.exists() else "folder does not exist")
    found = _find_layout(folder, dataset)
    if found:
        return (*found, found[1])
    for name in ARCHIVES[dataset]:
        archive = folder / name
        if archive.is_file():
            found = _find_layout(extract_once(archive), dataset)
            if found is None:
                expected = " or ".join(expected_names(dataset)[:2])
                raise format_error(archive, f"does not contain {expected}")
            return (*found, archive)
    raise errors.NotHere("holds none of " + ", ".join(expected_names(dataset)))


def _find_layout(folder, dataset):
    for sub, marker, kind in LAYOUTS[dataset]:
        root = folder / sub
        if root.is_dir() and (root / marker).exists():
            return kind, root
    return None


def _short_hash(text):
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def extract_once(archive):
    """Extract `archive` into the cache the first time; later calls return the same folder.

    The cache folder is keyed by the archive's name, size and modification time. Extraction goes
    into a temporary folder that is renamed into place at the end, so an interrupted run never
    leaves a half-filled cache. tarfile's "data" filter refuses unsafe paths and links.
    """
    stat = archive.stat()
    key = _short_hash(f"{archive.name}:{stat.st_size}:{stat.st_mtime_ns}")
    target = cache_dir() / "extracted" / f"{archive.name.split('.')[0]}-{key}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = pathlib.Path(tempfile.mkdtemp(prefix=f".partial-{target.name}-", dir=target.parent))
    progress(f"extracting {archive} into {target} (once; later runs reuse it)")
    try:
        with tarfile.open(archive, "r:*") as tar:
            safety = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(partial, members=_wanted_members(tar, archive), **safety)
        os.rename(partial, target)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise format_error(archive, f"is damaged or truncated ({error})") from error
    except OSError:
        if not target.is_dir():  # else another process finished the same extraction first
            raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _wanted_members(tar, archive):
    for member in tar:
        parts = pathlib.PurePosixPath(member.name).parts
        if SKIPPED_MEMBERS.intersection(parts):
            continue
        if member.name.startswith("/") or ".." in parts or member.issym() or member.islnk():
            raise format_error(archive, f"holds an unsafe member {member.name!r}")
        yield member


def cached_arrays(label, root, folders, decode):
    """Return decode()'s arrays, saved once as an .npz in the cache so later loads skip decoding.

    The key covers the folder's path and its subfolders' modification times (which change when
    files are added or removed).
    """
    stamps = "|".join(f"{folder}:{folder.stat().st_mtime_ns}" for folder in folders)
    path = cache_dir() / "decoded" / f"{label}-{_short_hash(str(root.resolve()) + stamps)}.npz"
    try:
        with np.load(path) as saved:
            return {name: saved[name] for name in saved.files}
    except FileNotFoundError:
        pass
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        progress(f"ignoring the damaged cache file {path}; decoding again")
    arrays = decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with open(partial, "wb") as file:
        np.savez(file, **arrays)
    os.replace(partial, path)
    return arrays
