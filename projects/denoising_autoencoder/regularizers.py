"""Regularized autoencoders (book Sections 14.2, 14.6, 14.7) written as Keras 3 code.

Sparse penalties are identity layers that `add_loss` a function of the code h; the contractive
penalty needs the encoder's Jacobian, so it lives in `compute_loss` of a Model subclass; predictive
sparse decomposition alternates two optimizations, so it has its own `train_step`.
"""

import keras
import tensorflow as tf
from keras import ops

from common.experiment import distributed

EPSILON = 1e-7


def bernoulli_kl(target, mean_activation):
    """KL(rho || rho_hat) between Bernoulli distributions of means rho and rho_hat (Eq. 3.50).

    rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat)): the extra bits paid for
    coding events of probability rho with a code made for rho_hat; zero only when they agree.
    """
    mean_activation = ops.clip(ops.convert_to_tensor(mean_activation), EPSILON, 1.0 - EPSILON)
    return target * ops.log(target / mean_activation) + (1.0 - target) * ops.log(
        (1.0 - target) / (1.0 - mean_activation)
    )


@keras.saving.register_keras_serializable(package="dlfb")
class L1ActivityPenalty(keras.layers.Layer):
    """Identity on the code h that adds weight * mean over the batch of sum_j |h_j| to the loss.

    The L1 penalty of a sparse autoencoder (Section 14.2.1, Eq. 14.2 with a Laplace prior): it
    pushes most code units to exactly zero, so each image is described by a few active features.
    """

    def __init__(self, weight=1e-4, **kwargs):
        super().__init__(**kwargs)
        self.weight = float(weight)

    def call(self, codes):
        self.add_loss(self.weight * ops.mean(ops.sum(ops.abs(codes), axis=-1)))
        return codes

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="dlfb")
class KLSparsityPenalty(keras.layers.Layer):
    """Identity on a sigmoid code that adds weight * sum_j KL(rho || rho_hat_j) to the loss.

    rho_hat_j is unit j's mean activation over the batch: the penalty (Section 14.2.1, with the KL
    divergence of Section 3.13) lets each unit fire often for few images, rarely on average.
    """

    def __init__(self, target=0.05, weight=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.target, self.weight = float(target), float(weight)

    def call(self, codes):
        mean_activation = ops.mean(codes, axis=0)
        self.add_loss(self.weight * ops.sum(bernoulli_kl(self.target, mean_activation)))
        return codes

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "target": self.target, "weight": self.weight}


ACTIVATION_DERIVATIVES = {  # g'(z) written with a = g(z), for the closed-form Jacobian.
    "linear": lambda z, a: ops.ones_like(z),
    "relu": lambda z, a: ops.cast(z > 0, z.dtype),
    "sigmoid": lambda z, a: a * (1.0 - a),
    "tanh": lambda z, a: 1.0 - a * a,
}
IDENTITY_LAYERS = (keras.layers.InputLayer, L1ActivityPenalty, KLSparsityPenalty)


def jacobian_closed_form(encoder, images):
    """df/dx of a dense encoder, exactly: prod_l diag(g'(z_l)) W_l^T, shape (batch, code, pixels).

    For one sigmoid layer h = sigmoid(W x + b) this is diag(h (1 - h)) W^T (Section 14.7).
    """
    x = ops.reshape(images, (ops.shape(images)[0], -1))
    factors = []
    for layer in encoder.layers:
        if isinstance(layer, IDENTITY_LAYERS + (keras.layers.Flatten,)):
            continue
        if not isinstance(layer, keras.layers.Dense):
            raise ValueError(f"The closed form needs a dense encoder. Received: {layer.name}")
        name = layer.activation.__name__
        if name not in ACTIVATION_DERIVATIVES:
            raise ValueError(f"No closed form for activation {name!r}; use jacobian_autodiff.")
        z = ops.matmul(x, layer.kernel) + layer.bias
        x = layer.activation(z)
        factors.append((layer.kernel, ACTIVATION_DERIVATIVES[name](z, x)))
    kernel, slope = factors[-1]
    jacobian = slope[:, :, None] * ops.transpose(kernel)[None]
    for kernel, slope in reversed(factors[:-1]):
        jacobian = ops.matmul(jacobian * slope[:, None, :], ops.transpose(kernel))
    return jacobian


def jacobian_autodiff(encoder, images):
    """df/dx by automatic differentiation (one backward pass per code unit), any encoder."""
    images = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(images)
        codes = encoder(images, training=False)
    jacobian = tape.batch_jacobian(codes, images)
    return tf.reshape(jacobian, (tf.shape(images)[0], codes.shape[-1], -1))


def jacobian_frobenius_squared(encoder, images, method="closed_form"):
    """||df/dx||_F^2 for each image: how strongly the code moves when the input moves."""
    compute = jacobian_closed_form if method == "closed_form" else jacobian_autodiff
    return ops.sum(ops.square(compute(encoder, images)), axis=(1, 2))


@keras.saving.register_keras_serializable(package="dlfb")
class EncoderDecoder(keras.Model):
    """r = g(f(x)) built from an encoder f and a decoder g; subclasses add a training criterion.

    Holds the (de)serialization of the two sub-models once, so each autoencoder below only
    lists its own hyperparameters in `get_config`.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder

    def call(self, inputs, training=None):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder"):
            config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)


@keras.saving.register_keras_serializable(package="dlfb")
class ContractiveAutoencoder(EncoderDecoder):
    """g(f(x)) trained on J + lambda * ||df/dx||_F^2 (Sections 14.2.3 and 14.7, Eq. 14.18).

    The penalty makes f locally constant, except along the few directions that reconstruction
    needs, which are the directions of the data manifold. It is averaged over the first
    `sample_size` images of each batch (an unbiased estimate of the batch mean, at a fraction
    of the cost: the Jacobian has code x pixels entries per image).
    """

    def __init__(self, encoder, decoder, weight=1e-3, method="closed_form", sample_size=32, **kw):
        super().__init__(encoder, decoder, **kw)
        self.weight, self.method, self.sample_size = float(weight), method, int(sample_size)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        contraction = jacobian_frobenius_squared(self.encoder, x[: self.sample_size], self.method)
        # This replica's share of the penalty, as Keras' loss is (unchanged on one device).
        return loss + distributed.replica_share(self.weight * ops.mean(contraction))

    def get_config(self):
        return {
            **super().get_config(),
            "weight": self.weight,
            "method": self.method,
            "sample_size": self.sample_size,
        }


@keras.saving.register_keras_serializable(package="dlfb")
class PredictiveSparseDecomposition(EncoderDecoder):
    """Predictive sparse decomposition (Section 14.6): codes h and the nets (f, g) in turns.

    Each step first improves the code h of the batch by a few gradient steps on
    L(x, g(h)) + l1 |h|_1 + gamma ||h - f(x)||^2, starting from h = f(x), with f and g fixed;
    then it updates f and g on the same criterion with h fixed. At test time h = f(x): f has
    learned to predict the optimized code in one pass.
    """

    def __init__(self, encoder, decoder, code_steps=5, code_rate=0.1, weight=1.0, l1=1e-4, **kw):
        super().__init__(encoder, decoder, **kw)
        self.code_steps, self.code_rate = int(code_steps), float(code_rate)
        self.weight, self.l1 = float(weight), float(l1)

    def energy(self, x, y, codes, predicted_codes):
        """The criterion both turns minimize, for codes h and the encoder's prediction f(x)."""
        reconstruction = distributed.whole_loss(  # Its own units, also on several replicas.
            self.compute_loss(x=x, y=y, y_pred=self.decoder(codes, training=True))
        )
        sparsity = self.l1 * ops.mean(ops.sum(ops.abs(codes), axis=-1))
        prediction = self.weight * ops.mean(ops.square(codes - predicted_codes))
        return reconstruction + sparsity + prediction

    def infer_codes(self, x, y):
        """Turn 1: gradient descent on h alone, from h = f(x)."""
        predicted = ops.stop_gradient(self.encoder(x, training=False))
        codes = predicted
        for _ in range(self.code_steps):
            with tf.GradientTape() as tape:
                tape.watch(codes)
                energy = self.energy(x, y, codes, predicted)
            codes = codes - self.code_rate * tape.gradient(energy, codes)
        return ops.stop_gradient(codes)

    def train_step(self, data):
        x, y = data[0], data[1]
        codes = self.infer_codes(x, y)
        with tf.GradientTape() as tape:  # Turn 2: f and g, with h fixed.
            loss = self.energy(x, y, codes, self.encoder(x, training=True))
            # Each replica's share: the gradients summed over replicas are the global batch's.
            share = distributed.replica_share(loss)
        variables = self.trainable_variables
        gradients = tape.gradient(share, variables)
        self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        y_pred = self(x, training=False)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return self.get_metrics_result()

    def get_config(self):
        return {
            **super().get_config(),
            "code_steps": self.code_steps,
            "code_rate": self.code_rate,
            "weight": self.weight,
            "l1": self.l1,
        }
