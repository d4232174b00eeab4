"""Rebuild the small bundled samples in this folder from the full data sets.

    python common/data/samples/make_samples.py --shared DIR   (DIR: a folder with the archives)

Each sample is a balanced slice of real data in the original format, so it goes through the same
readers as the full data set: the first N items of every class in (natural) file order. The output
is byte-for-byte reproducible: fixed member order, owners and timestamps, and gzip without a date.
"""

import argparse
import gzip
import io
import pathlib
import re
import tarfile

import numpy as np

SAMPLES = pathlib.Path(__file__).resolve().parent
FIXED_MTIME = 1_600_000_000  # 2020-09-13, any fixed date keeps the archives reproducible


def natural_key(name):
    """Sort key that orders `2.png` before `10.png`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def write_gzip(path, payload):
    """Write `payload` gzip-compressed with no timestamp in the header (reproducible bytes)."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as file:
        file.write(payload)


def read_idx(path):
    """Return (header bytes, numpy array) of one gzip-compressed IDX file."""
    raw = gzip.open(path, "rb").read()
    ndim = raw[3]
    shape = tuple(int(size) for size in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def idx_bytes(array, magic):
    """Encode `array` as an IDX file: magic number, one big-endian size per axis, then the bytes."""
    header = magic.to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(np.uint8).tobytes()


def first_per_class(labels, count):
    """Indexes of the first `count` items of every class, in their original order."""
    chosen = [np.flatnonzero(labels == label)[:count] for label in np.unique(labels)]
    return np.sort(np.concatenate(chosen))


def make_fashion_mnist(source, train_count, test_count):
    """The four Fashion-MNIST IDX files, cut to `train_count`/`test_count` images per class."""
    target = SAMPLES / "fashion-mnist"
    target.mkdir(exist_ok=True)
    for prefix, count in (("train", train_count), ("t10k", test_count)):
        images = read_idx(source / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(source / f"{prefix}-labels-idx1-ubyte.gz")
        keep = first_per_class(labels, count)
        write_gzip(target / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(images[keep], 0x803))
        write_gzip(target / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(labels[keep], 0x801))
        print(f"fashion-mnist {prefix}: {len(keep)} images")


def slice_archive(source, target, counts, extra_files=()):
    """Copy the first counts[(split, class)] files of every class folder into a new .tar.gz.

    Member names look like `<top>/<split>/<class>/<file>`; `extra_files` (e.g. a README) are
    copied as they are.
    """
    chosen = {}
    with tarfile.open(source, "r:gz") as tar:
        members = [member for member in tar if member.isfile()]
        groups = {}
        for member in members:
            parts = member.name.split("/")
            if len(parts) == 4 and parts[1] in counts:
                groups.setdefault((parts[1], parts[2]), []).append(member)
            elif member.name in extra_files:
                chosen[member.name] = member
        for (split, _), group in groups.items():
            for member in sorted(group, key=lambda item: natural_key(item.name))[: counts[split]]:
                chosen[member.name] = member
        in_archive_order = sorted(chosen.values(), key=lambda member: member.offset)
        payloads = {member.name: tar.extractfile(member).read() for member in in_archive_order}
    write_tar_gz(target, payloads)
    print(f"{target.name}: {len(payloads)} files from {len(groups)} class folders")


def write_tar_gz(target, payloads):
    """Write files {name: bytes} (and their parent folders) as a reproducible .tar.gz."""
    folders = {str(parent) for name in payloads for parent in pathlib.PurePosixPath(name).parents}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(folders - {"."}, key=natural_key):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, FIXED_MTIME
            tar.addfile(info)
        for name in sorted(payloads, key=natural_key):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(payloads[name]), 0o644, FIXED_MTIME
            tar.addfile(info, io.BytesIO(payloads[name]))
    write_gzip(target, buffer.getvalue())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=pathlib.Path, required=True, help="folder of archives")
    parser.add_argument(
        "--fashion",
        type=pathlib.Path,
        default=pathlib.Path("/usr/share/datasets/fashion-mnist"),
        help="folder of the Fashion-MNIST IDX files (default: %(default)s)",
    )
    arguments = parser.parse_args()
    make_fashion_mnist(arguments.fashion, train_count=600, test_count=100)
    slice_archive(
        arguments.shared / "cifar10_png.tar.gz",
        SAMPLES / "cifar10_png_sample.tar.gz",
        counts={"train": 50, "test": 20},
    )
    slice_archive(
        arguments.shared / "aclImdb_v1_labeled.tar.gz",
        SAMPLES / "aclImdb_sample.tar.gz",
        counts={"train": 1000, "test": 500},
        extra_files=("aclImdb/README",),
    )


if __name__ == "__main__":
    main()
