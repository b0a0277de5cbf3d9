"""The pieces of the objective: adversarial losses, Lipschitz methods, augmentation."""
