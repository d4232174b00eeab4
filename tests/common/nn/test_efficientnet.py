"""EfficientNet-Lite0 in Keras and the PyTorch checkpoint reader behind its ImageNet weights."""

import pathlib
import pickle
import struct
import sys
import types

import keras
import numpy as np
import PIL.Image
import pytest

from common.nn import efficientnet, torch_checkpoint

FLICKR = pathlib.Path(__file__).resolve().parents[4] / "shared/data/flickr8k_128px.tar.gz"


def write_legacy_checkpoint(path, tensors):
    """Writes `tensors` ({name: float32 array}) the way torch.save did before PyTorch 1.6."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*arguments):
        raise AssertionError("never called while writing")

    class FloatStorage:
        pass

    _rebuild_tensor_v2.__module__, FloatStorage.__module__ = "torch._utils", "torch"
    _rebuild_tensor_v2.__qualname__, FloatStorage.__qualname__ = (
        "_rebuild_tensor_v2",
        "FloatStorage",
    )
    utils._rebuild_tensor_v2, torch.FloatStorage = _rebuild_tensor_v2, FloatStorage
    storages = {}

    class Tensor:
        def __init__(self, key, array):
            self.key, self.array = key, array

        def __reduce__(self):
            stride = tuple(s // self.array.itemsize for s in self.array.strides)
            return _rebuild_tensor_v2, (Storage(self.key), 0, self.array.shape, stride, False, {})

    class Storage:
        def __init__(self, key):
            self.key = key

    class Pickler(pickle.Pickler):
        def persistent_id(self, value):
            if isinstance(value, Storage):
                return ("storage", FloatStorage, value.key, "cpu", storages[value.key].size, None)
            return None

    saved = {name: sys.modules.get(name) for name in ("torch", "torch._utils")}
    sys.modules.update({"torch": torch, "torch._utils": utils})
    try:
        with open(path, "wb") as file:
            for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
                pickle.dump(header, file, protocol=2)
            state = {}
            for index, (name, array) in enumerate(tensors.items()):
                storages[str(index)] = np.ascontiguousarray(array, "float32")
                state[name] = Tensor(str(index), storages[str(index)])
            Pickler(file, protocol=2).dump(state)
            pickle.dump(list(storages), file, protocol=2)
            for array in storages.values():
                file.write(struct.pack("<q", array.size) + array.astype("<f4").tobytes())
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def test_reader_returns_every_tensor_with_its_shape_and_values(tmp_path):
    tensors = {
        "conv.weight": np.arange(24, dtype="float32").reshape(2, 3, 2, 2),
        "bn.bias": np.array([0.5, -1.5], "float32"),
    }
    write_legacy_checkpoint(tmp_path / "tiny.pth", tensors)
    loaded = torch_checkpoint.load(tmp_path / "tiny.pth")
    assert list(loaded) == list(tensors)
    for name, array in tensors.items():
        np.testing.assert_array_equal(loaded[name], array)


def test_truncated_or_foreign_files_get_a_clear_error(tmp_path):
    write_legacy_checkpoint(tmp_path / "tiny.pth", {"w": np.ones((4, 4), "float32")})
    whole = (tmp_path / "tiny.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(whole[:-10])
    with pytest.raises(torch_checkpoint.CheckpointError, match="cut.pth.*truncated"):
        torch_checkpoint.load(tmp_path / "cut.pth")
    (tmp_path / "evil.pth").write_bytes(
        b"".join(pickle.dumps(h, 2) for h in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": 1}))
        + pickle.dumps(types.SimpleNamespace(), 2)
    )
    with pytest.raises(torch_checkpoint.CheckpointError, match="never does"):
        torch_checkpoint.load(tmp_path / "evil.pth")
    with pytest.raises(torch_checkpoint.CheckpointError, match="does not exist"):
        torch_checkpoint.load(tmp_path / "missing.pth")


def test_the_installed_weights_fill_every_layer_of_the_keras_network():
    state = torch_checkpoint.load(efficientnet.weights_file())
    assert len(state) == 296 and sum(value.size for value in state.values()) == 4_694_073
    model = efficientnet.efficientnet_lite0()
    parameters = sum(int(np.prod(w.shape)) for w in model.weights)
    counted = sum(v.size for k, v in state.items() if not k.endswith("num_batches_tracked"))
    assert parameters == counted  # Same architecture: every value has a place, none is left.
    assert efficientnet.load_weights(model) == counted


def test_pytorch_kernels_are_transposed_to_keras_layout():
    rng = np.random.default_rng(0)
    image = rng.normal(size=(1, 5, 5, 2)).astype("float32")
    kernel = rng.normal(size=(3, 2, 3, 3)).astype("float32")  # PyTorch: (out, in, h, w).
    layer = keras.layers.Conv2D(3, 3, padding="valid", use_bias=False)
    layer.build(image.shape)
    layer.set_weights([efficientnet.to_keras_kernel(kernel, layer)])
    expected = np.einsum("hwc,ochw->o", image[0, 1:4, 2:5], kernel)  # Cross-correlation.
    np.testing.assert_allclose(layer(image)[0, 1, 2], expected, rtol=1e-5)


def test_feature_grid_shape_and_frozen_by_default():
    model = efficientnet.pretrained(input_shape=(96, 128, 3), include_top=False)
    assert model.output.shape[1:] == (3, 4, 1280) and not model.trainable


@pytest.mark.skipif(not FLICKR.exists(), reason=f"needs the Flickr8k archive at {FLICKR}")
def test_imagenet_top5_of_flickr8k_dog_photos_name_dog_breeds(tmp_path):
    import tarfile

    wanted = ["1012212859_01547e3f17.jpg", "1026685415_0431cbf574.jpg", "1067180831_a59dc64344.jpg"]
    with tarfile.open(FLICKR) as archive:
        images = [
            np.asarray(
                PIL.Image.open(archive.extractfile(f"Flickr8k/Flicker8k_Dataset/{name}"))
                .convert("RGB")
                .resize((224, 224), PIL.Image.BICUBIC)
            )
            for name in wanted
        ]
    model = efficientnet.pretrained()
    probabilities = model.predict(efficientnet.preprocess(np.stack(images)), verbose=0)
    dog_breeds = set(range(151, 269))  # ImageNet classes 151-268 are dog breeds.
    for row in probabilities:
        assert set(np.argsort(-row)[:5]) & dog_breeds
