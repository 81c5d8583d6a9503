"""Spies on the training engine, shared by the estimators' tests."""

# White-box: the learning rate of each step is seen only inside the engine's
# private objective (history_ records none).
from skgain._engine import GAINObjective


def record_learning_rates(monkeypatch):
    """A list that receives the generator's learning rate at every training
    step (one per batch, or per crop of a batch) of the engine's objective,
    patched for the test's duration."""
    rates = []
    original = GAINObjective.step

    def spy(self, trainer, optimizers, *args):
        rates.append(optimizers.generator.param_groups[0]["lr"])
        return original(self, trainer, optimizers, *args)

    monkeypatch.setattr(GAINObjective, "step", spy)
    return rates
