"""Early stopping across a kill: the best weights and the patience count survive on disk."""

import numpy as np

from common.nn import resumable


class FakeModel:
    """One weight array; `_initial_epoch` is where `BackupAndRestore` says the fit resumes."""

    def __init__(self, value, initial_epoch=None):
        self.weights = [np.full(2, float(value))]
        self.stop_training = False
        self._initial_epoch = initial_epoch

    def get_weights(self):
        return self.weights

    def set_weights(self, weights):
        self.weights = [np.array(weight) for weight in weights]


def start(path, model):
    stopper = resumable.ResumableEarlyStopping(path, patience=2)
    stopper.set_model(model)
    stopper.on_train_begin()
    return stopper


def test_a_resumed_fit_restores_the_best_weights_seen_before_the_kill(tmp_path):
    path = tmp_path / "early_stopping.json"
    first = start(path, FakeModel(0))
    first.on_epoch_end(0, {"val_loss": 1.0})  # The best epoch.
    first.model.set_weights([np.full(2, 1.0)])
    first.on_epoch_end(1, {"val_loss": 2.0})
    # Killed here: no on_train_end. A new process resumes at epoch 2 with epoch 2's weights.
    second = start(path, FakeModel(1, initial_epoch=2))
    assert (second.best_epoch, second.wait) == (0, 1)
    second.on_epoch_end(2, {"val_loss": 3.0})
    assert second.model.stop_training and second.stopped_epoch == 2  # Patience 2 spans the kill.
    second.on_train_end()
    assert second.model.weights[0].tolist() == [0.0, 0.0]
    assert not path.exists() and not path.with_suffix(".npz").exists()


def test_state_of_another_fit_is_ignored(tmp_path):
    path = tmp_path / "early_stopping.json"
    first = start(path, FakeModel(0))
    first.on_epoch_end(0, {"val_loss": 1.0})
    for model in (FakeModel(5), FakeModel(5, initial_epoch=3)):  # Fresh, or resumed elsewhere.
        stopper = start(path, model)
        assert stopper.best_epoch is None and stopper.wait == 0
    path.write_text("{broken")
    assert start(path, FakeModel(5, initial_epoch=1)).best_epoch is None
