"""Adversarial regularization as a Keras 3 model wrapper (a native take on NSL's).

Adversarial training (book Section 7.13) adds to the usual loss the loss on adversarial
neighbours of each training point, generated on the fly against the current weights:

    J(theta) = L(f(x), y) + adv_multiplier * L(f(x'), y),  x' = attack(x) within adv_step_size.

It makes the model locally constant around the data, where plain noise injection does not: a
random direction is almost orthogonal to the gradient in high dimensions, the worst one is not.
The wrapper holds any base model, which stays exportable on its own (`wrapper.base_model.save`).
"""

import keras
import tensorflow as tf

from common.experiment import distributed
from projects.adversarial_regularization import attacks


@keras.saving.register_keras_serializable(package="dlfb")
class AdversarialRegularization(keras.Model):
    """Trains `base_model` on clean inputs plus adversarial neighbours (FGSM or PGD).

    Formula:
        loss = L(y, f(x)) + adv_multiplier * L(y, f(x')),
        x' = clip(x + adv_step_size * sign(grad_x L(y, f(x))), 0, 1)        (FGSM, pgd_steps=1)
        or the `pgd_steps`-step projected gradient ascent from a random start   (PGD).

    Example:
        >>> wrapper = AdversarialRegularization(base_model, adv_multiplier=1.0, adv_step_size=0.1)
        >>> wrapper.compile(optimizer="adam",
        ...     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        >>> wrapper.fit(images, labels)
        >>> wrapper.base_model.save("classifier.keras")

    Args:
        base_model: The Keras model to regularize; it maps images in [0, 1] to logits.
        adv_multiplier: Weight of the adversarial loss. Defaults to 0.2 (NSL's default).
        adv_step_size: Radius epsilon of the neighbourhood. Defaults to 0.05.
        adv_grad_norm: "infinity" (sign of the gradient) or "l2". Defaults to "infinity".
        pgd_steps: Gradient steps per neighbour: 1 is FGSM, more is PGD. Defaults to 1.
        random_start: Start from a random point of the ball (PGD; for FGSM it is the "fast
            adversarial training" recipe). Defaults to False.
        clean_weight: w in the `mixed_accuracy` metric, w * clean accuracy + (1 - w) *
            accuracy on the neighbours (a robustness score to select models by). Defaults to 0.5.
        seed: Seed of the random starts. Defaults to None.
    """

    def __init__(
        self,
        base_model,
        adv_multiplier=0.2,
        adv_step_size=0.05,
        adv_grad_norm="infinity",
        pgd_steps=1,
        random_start=False,
        clean_weight=0.5,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if adv_multiplier < 0:
            raise ValueError(
                f"adv_multiplier must be >= 0. Received: adv_multiplier={adv_multiplier}"
            )
        if adv_step_size <= 0:
            raise ValueError(f"adv_step_size must be > 0. Received: adv_step_size={adv_step_size}")
        if pgd_steps < 1:
            raise ValueError(f"pgd_steps must be at least 1. Received: pgd_steps={pgd_steps}")
        if not 0.0 <= clean_weight <= 1.0:
            raise ValueError(
                f"clean_weight must be in [0, 1]. Received: clean_weight={clean_weight}"
            )
        attacks.check_norm(adv_grad_norm)
        self.base_model = base_model
        self.adv_multiplier = float(adv_multiplier)
        self.adv_step_size = float(adv_step_size)
        self.adv_grad_norm = adv_grad_norm
        self.pgd_steps = int(pgd_steps)
        self.random_start = bool(random_start)
        self.clean_weight = float(clean_weight)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supervised_loss_tracker = keras.metrics.Mean(name="supervised_loss")
        self.adversarial_loss_tracker = keras.metrics.Mean(name="adversarial_loss")
        self.adversarial_accuracy_tracker = keras.metrics.Mean(name="adversarial_accuracy")
        self.mixed_accuracy_tracker = keras.metrics.Mean(name="mixed_accuracy")
        if base_model.built:
            self.built = True  # Nothing of its own to build: every weight is the base model's.

    def build(self, input_shape=None):
        if not self.base_model.built:
            self.base_model.build(input_shape)
        self.built = True

    def call(self, inputs, training=False):
        return self.base_model(inputs, training=training)

    def neighbours(self, images, labels):
        """Adversarial neighbours of a batch against the current weights (no gradient through)."""
        images = tf.convert_to_tensor(images, "float32")
        if self.pgd_steps == 1 and not self.random_start:
            adversarial = attacks.fgsm(
                self.base_model,
                images,
                labels,
                self.adv_step_size,
                norm=self.adv_grad_norm,
                loss_fn=self.loss_on_batch,
            )
        else:
            adversarial = attacks.pgd(
                self.base_model,
                images,
                labels,
                self.adv_step_size,
                steps=self.pgd_steps,
                # One step from a random start uses 1.25 epsilon (Wong et al., 2020).
                step_size=1.25 * self.adv_step_size if self.pgd_steps == 1 else None,
                norm=self.adv_grad_norm,
                random_start=self.random_start,
                seed=self.seed_generator,
                loss_fn=self.loss_on_batch,
            )
        return tf.stop_gradient(adversarial)

    def loss_on_batch(self, labels, predictions, sample_weight=None):
        """The loss given to `compile` (a name, function or `Loss`), as a scalar."""
        loss = keras.losses.get(self.loss)
        if not isinstance(loss, keras.losses.Loss):
            loss = keras.losses.LossFunctionWrapper(loss)
        return keras.ops.mean(loss(labels, predictions, sample_weight=sample_weight))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The regularized objective, in training and in evaluation (so val_loss is comparable).

        Evaluation also attacks each batch, which gives the validation robustness metrics.
        """
        supervised = super().compute_loss(x, y, y_pred, sample_weight, training=training)
        if self.adv_multiplier == 0.0:
            return supervised
        adversarial_predictions = self(self.neighbours(x, y), training=training)
        adversarial = self.loss_on_batch(y, adversarial_predictions, sample_weight)
        # Logged in their own units: on N replicas Keras' losses return a 1/N share.
        self.supervised_loss_tracker.update_state(distributed.whole_loss(supervised))
        self.adversarial_loss_tracker.update_state(distributed.whole_loss(adversarial))
        self.update_accuracies(y, y_pred, adversarial_predictions)
        return supervised + self.adv_multiplier * adversarial

    def update_accuracies(self, labels, predictions, adversarial_predictions):
        labels = keras.ops.reshape(keras.ops.cast(labels, "int32"), (-1,))

        def correct(logits):
            return keras.ops.cast(keras.ops.argmax(logits, axis=-1) == labels, "float32")

        clean, adversarial = correct(predictions), correct(adversarial_predictions)
        self.adversarial_accuracy_tracker.update_state(adversarial)
        self.mixed_accuracy_tracker.update_state(
            self.clean_weight * clean + (1.0 - self.clean_weight) * adversarial
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            base_model=keras.saving.serialize_keras_object(self.base_model),
            adv_multiplier=self.adv_multiplier,
            adv_step_size=self.adv_step_size,
            adv_grad_norm=self.adv_grad_norm,
            pgd_steps=self.pgd_steps,
            random_start=self.random_start,
            clean_weight=self.clean_weight,
            seed=self.seed,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config["base_model"] = keras.saving.deserialize_keras_object(config["base_model"])
        return cls(**config)
