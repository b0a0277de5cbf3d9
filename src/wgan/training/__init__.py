"""Training internals: the update, the loop and its callbacks, the trainer, the runtime."""
