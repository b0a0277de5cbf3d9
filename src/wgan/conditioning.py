"""The ways a run can be class-conditional (the networks that implement them: models/heads.py)."""

# How the generator takes a class: not at all, its noise times a class embedding (the AC-WGAN MNIST
# tutorial), its noise next to a one-hot class, or through class-conditional BatchNorm layers.
CONDITIONING = ("none", "embed_mul", "concat", "cbn")
# How the critic of a conditional run uses the class: a class head (AC-WGAN) or a projection
# (Miyato and Koyama 2018).
CRITIC_CONDITIONING = ("ac", "projection")
