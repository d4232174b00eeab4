"""Training on several devices or machines with `tf.distribute`, chosen by `--strategy`.

    default       one device, today's path: `model.fit` as written in each project's train.py.
    mirrored      `tf.distribute.MirroredStrategy`: one replica per local GPU (or the CPU).
    multi_worker  `tf.distribute.MultiWorkerMirroredStrategy`: one process per machine, the
                  cluster read from the standard `TF_CONFIG` variable (README 'Running on a
                  cluster').

The batch size is global: each step reads `config.batch_size` examples in all, split evenly over
the replicas, and the gradients are averaged over all of them, so the learning rate needs no
scaling and a run on N replicas follows the one-device recipe step for step.

Keras 3.15's `model.fit` fails under MultiWorkerMirroredStrategy ("Attempt to convert a value
(PerReplica...) to a Tensor", keras-team/keras#20585), so `fit` below runs that case itself: the
model's own `train_step` and `test_step` under `strategy.run` over
`strategy.experimental_distribute_dataset`, driving the same callbacks as `model.fit`. Every
other strategy goes through `model.fit` unchanged.
"""

import contextlib
import dataclasses
import json
import os
import pathlib

import keras
import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")
CLUSTER_HELP = (
    "Set it on every machine to the same cluster and that machine's own task, e.g. "
    'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}\' (README "Running on a cluster").'
)


def check(name, environ=None):
    """Raises ValueError, with the fix, when `--strategy name` cannot run in this environment."""
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy. Use one of {', '.join(STRATEGIES)}. Received: {name}")
    if name != "multi_worker":
        return
    text = (os.environ if environ is None else environ).get("TF_CONFIG")
    if not text:
        raise ValueError(
            f"--strategy multi_worker reads the cluster from TF_CONFIG, which is not set. "
            f"{CLUSTER_HELP}"
        )
    try:
        cluster = json.loads(text)
        workers, role = cluster["cluster"]["worker"], cluster["task"]["type"]
        valid = isinstance(workers, list) and role in ("worker", "chief")
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise ValueError(
            f"TF_CONFIG is not a valid cluster description. {CLUSTER_HELP} Received: "
            f"TF_CONFIG={text}"
        ) from None


@dataclasses.dataclass(frozen=True)
class Distribution:
    """The strategy of one run and this process's place in it."""

    name: str = "default"
    strategy: tf.distribute.Strategy | None = None  # None: the default, one device.

    @classmethod
    def create(cls, name="default"):
        """Creates the strategy; for multi_worker, before any other TensorFlow work."""
        check(name)
        if name == "default":
            return cls()
        if name == "mirrored":
            return cls(name, tf.distribute.MirroredStrategy())
        return cls(name, tf.distribute.MultiWorkerMirroredStrategy())

    @property
    def replicas(self):
        return 1 if self.strategy is None else self.strategy.num_replicas_in_sync

    @property
    def workers(self):
        resolver = getattr(self.strategy, "cluster_resolver", None)
        if self.name != "multi_worker" or resolver is None:
            return 1
        return sum(len(tasks) for tasks in resolver.cluster_spec().as_dict().values())

    @property
    def is_chief(self):
        """Whether this process writes the report (always, outside a multi-worker cluster)."""
        return self.name != "multi_worker" or self.strategy.extended.should_checkpoint

    def workdir(self, workdir):
        """The chief keeps `workdir`; each other worker its own `workdir/worker-<index>`, so two
        workers sharing a disk never write the same checkpoint."""
        if self.is_chief:
            return pathlib.Path(workdir)
        return pathlib.Path(workdir) / f"worker-{self.strategy.cluster_resolver.task_id}"

    def scope(self):
        """Where models are built and compiled: their variables then live on every replica."""
        return contextlib.nullcontext() if self.strategy is None else self.strategy.scope()

    def describe(self, batch_size):
        """The run metadata's line about distribution, for the report."""
        return {
            "strategy": self.name,
            "workers": self.workers,
            "replicas": self.replicas,
            "global_batch_size": batch_size,
            "batch_size_per_replica": batch_size / self.replicas,
            "learning_rate_scaling": "none: gradients are averaged over the global batch",
        }


def replica_share(loss):
    """A loss term computed outside a Keras `Loss` (which does this itself), as this replica's
    share: divided by the number of replicas, so that the gradients summed over the replicas
    are those of the global mean. Unchanged on one replica."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss / replicas


def whole_loss(loss):
    """The inverse of `replica_share`: a Keras loss value back in its own units (for logs)."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss * replicas


def fit(model, train_data, *, validation_data=None, epochs=1, callbacks=(), verbose="auto"):
    """`model.fit(train_data, validation_data=..., epochs=..., callbacks=..., verbose=...)`,
    also under MultiWorkerMirroredStrategy; returns the History."""
    strategy = model.distribute_strategy
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return model.fit(
            train_data,
            validation_data=validation_data,
            epochs=epochs,
            callbacks=list(callbacks),
            verbose=verbose,
        )
    with strategy.scope():
        return multi_worker_fit(model, strategy, train_data, validation_data, epochs, callbacks,
                                verbose)  # fmt: skip


def distribute(strategy, dataset):
    """Each worker reads the same pipeline and keeps its share of every global batch."""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


def multi_worker_fit(model, strategy, train_data, validation_data, epochs, callbacks, verbose):
    """The loop of `model.fit`: epochs of `train_step` on every replica, the validation pass,
    the callbacks at the same points (so BackupAndRestore resumes, early stopping stops and
    the recorder records as they do under fit)."""
    # Create the optimizer's and metrics' variables before the first step, as fit does, from a
    # batch of validation data (reading the training data could advance a curriculum).
    model._symbolic_build(data_batch=next(iter(validation_data or train_data)))
    train_step = tf.function(lambda batch: strategy.run(model.train_step, args=(batch,)))
    test_step = tf.function(lambda batch: strategy.run(model.test_step, args=(batch,)))
    average_state = tf.function(lambda: strategy.run(average_local_state, args=(model,)))
    read_metrics = tf.function(model.get_metrics_result)
    callbacks = keras.callbacks.CallbackList(
        list(callbacks), add_history=True, add_progbar=verbose != 0, verbose=verbose,
        epochs=epochs, steps=None, model=model,
    )  # fmt: skip
    model.stop_training = False
    callbacks.on_train_begin()
    logs = {}
    for epoch in range(model._initial_epoch or 0, epochs):  # Set by BackupAndRestore.
        model.reset_metrics()
        callbacks.on_epoch_begin(epoch)
        for step, batch in enumerate(distribute(strategy, train_data)):
            callbacks.on_train_batch_begin(step)
            outputs = train_step(batch)
            # Per batch, the progress bar shows this replica's running metrics.
            callbacks.on_train_batch_end(step, strategy.experimental_local_results(outputs)[0])
        average_state()  # Batch-norm statistics and the like, equal on every worker again.
        logs = to_floats(read_metrics())  # Over every replica: the same numbers everywhere.
        if validation_data is not None:
            model.reset_metrics()
            for batch in distribute(strategy, validation_data):
                test_step(batch)
            logs.update({f"val_{name}": value for name, value in to_floats(read_metrics()).items()})
        # One more iterator, never read: `fit` opens two per epoch, so counting the same way,
        # `ResumableRandomness` replays the data order after a resume on a cluster too.
        iter(train_data)
        callbacks.on_epoch_end(epoch, logs)
        if model.stop_training:  # The same decision everywhere: the logs are global.
            break
    model.optimizer.finalize_variable_values(model.trainable_weights)
    callbacks.on_train_end(logs)
    return model.history


def to_floats(logs):
    return {name: float(value) for name, value in logs.items()}


def average_local_state(model):
    """Replaces each replica's own non-trainable float weights (batch normalization's moving
    mean and variance, which every replica updates from its own share of the batch) by their
    mean over the replicas. A moving mean is linear in the batch means, so the result is the
    moving mean of the global batches' means; a moving variance, the mean of the replicas'."""
    context = tf.distribute.get_replica_context()
    for variable in model.non_trainable_variables:
        if variable.dtype.startswith("float"):
            variable.assign(context.all_reduce("MEAN", tf.identity(variable.value)))
