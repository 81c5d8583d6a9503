"""Spies on the training loop, shared by the estimators' tests."""


def record_learning_rates(monkeypatch, cls):
    """A list that receives the generator's learning rate at every training
    step of ``cls._train_step`` (patched for the test's duration)."""
    rates = []
    original = cls._train_step

    def spy(self, G, D, opt_g, *args):
        rates.append(opt_g.param_groups[0]["lr"])
        return original(self, G, D, opt_g, *args)

    monkeypatch.setattr(cls, "_train_step", spy)
    return rates
