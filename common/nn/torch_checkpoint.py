"""Reading a PyTorch checkpoint's tensors as NumPy arrays, without PyTorch.

Pretrained weights are often published only as PyTorch files. The legacy (non-zip) format that
`torch.save` wrote before 1.6 is a sequence of pickles followed by raw data: a magic number, a
protocol version, the system's sizes, then the state dict, whose tensors point by a persistent id
at storages, then the list of storage keys, then each storage's bytes (an int64 element count,
then the little-endian elements). Python's `pickle` reads the first part once it is told what
PyTorch's classes stand for; NumPy reads the rest. Nothing in the file is executed: only the
handful of names a state dict uses are allowed, anything else is refused.
"""

import collections
import dataclasses
import pathlib
import pickle
import struct

import numpy as np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class CheckpointError(ValueError):
    """The file is not a readable legacy PyTorch checkpoint; the message says what is wrong."""


@dataclasses.dataclass(frozen=True)
class StorageType:
    name: str


@dataclasses.dataclass
class Storage:
    key: str
    dtype: np.dtype
    count: int
    data: np.ndarray = None


@dataclasses.dataclass(frozen=True)
class TensorView:
    """A tensor as the pickle describes it: where its elements sit in a storage."""

    storage: Storage
    offset: int
    shape: tuple
    stride: tuple

    def to_numpy(self):
        flat, item = self.storage.data, self.storage.data.itemsize
        if not self.shape:
            return flat[self.offset].copy()
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset :], shape=self.shape, strides=[s * item for s in self.stride]
        )
        return np.array(view)


def _rebuild_tensor(storage, offset, shape, stride, *unused):
    return TensorView(storage, int(offset), tuple(shape), tuple(stride))


class _Unpickler(pickle.Unpickler):
    """An unpickler that knows only what a state dict holds (and refuses everything else)."""

    def __init__(self, file, storages):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in STORAGE_DTYPES:
            return StorageType(name)
        raise CheckpointError(f"holds {module}.{name}, which a plain state dict never does")

    def persistent_load(self, saved_id):
        kind, storage_type, key, _, count, *view = saved_id
        if kind != "storage" or not isinstance(storage_type, StorageType) or any(view[:1]):
            raise CheckpointError(f"has an unsupported storage reference {saved_id!r}")
        if key not in self.storages:
            self.storages[key] = Storage(key, np.dtype(STORAGE_DTYPES[storage_type.name]), count)
        return self.storages[key]


def load(path):
    """The state dict saved in `path` as {name: numpy array}, in the file's order.

    Raises CheckpointError (with the file's name) for a missing, truncated or foreign file.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} does not exist")
    try:
        with open(path, "rb") as file:
            return _read(file)
    except CheckpointError as error:
        raise CheckpointError(f"{path} {error}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, struct.error) as error:
        raise CheckpointError(
            f"{path} is not a readable legacy PyTorch checkpoint (truncated or damaged? "
            f"{type(error).__name__}: {error})"
        ) from error


def _read(file):
    if pickle.load(file) != MAGIC_NUMBER:
        raise CheckpointError("does not start with PyTorch's magic number")
    if pickle.load(file) != 1001:
        raise CheckpointError("has an unknown protocol version")
    sizes = pickle.load(file)
    if not sizes.get("little_endian", False):
        raise CheckpointError("was written on a big-endian machine")
    storages = {}
    state = _Unpickler(file, storages).load()
    for key in pickle.load(file):
        storage = storages[key]
        (count,) = struct.unpack("<q", _read_exactly(file, 8))
        if count != storage.count:
            raise CheckpointError(f"storage {key} holds {count} elements, not {storage.count}")
        raw = _read_exactly(file, count * storage.dtype.itemsize)
        storage.data = np.frombuffer(raw, storage.dtype.newbyteorder("<"))
    if not isinstance(state, dict):
        raise CheckpointError("holds no state dict")
    return {name: tensor.to_numpy() for name, tensor in state.items()}


def _read_exactly(file, size):
    data = file.read(size)
    if len(data) != size:
        raise CheckpointError(f"ends early: {len(data)} of {size} bytes left (truncated?)")
    return data
