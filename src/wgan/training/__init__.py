"""Training internals: the update, the loop and its callbacks, the trainer, the runtime.

The command line enters through ``session`` (``wgan train``), ``figures`` (``wgan plot``) and
``launch_env`` (torchrun's rank, read without importing torch) only; an import-linter contract
(pyproject.toml) keeps it from the rest. Library users build a ``trainer.Trainer`` themselves.
"""
