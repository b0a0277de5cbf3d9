from wgan.config import TrainConfig
from wgan.training.schedule import critic_iterations


def test_constant_schedule():
    assert {critic_iterations(s, TrainConfig(n_critic=5)) for s in range(1000)} == {5}


def test_wgan_paper_warmup():
    cfg = TrainConfig(n_critic=5, warmup=True)
    counts = [critic_iterations(s, cfg) for s in range(1001)]
    assert counts[:25] == [100] * 25 and counts[25] == 5
    assert counts[500] == 100 and counts[1000] == 100 and counts[999] == 5


def test_s1_repeating_warmup():
    # The AC-WGAN MNIST tutorial: it % 1000 < 25 or it % 500 == 0
    cfg = TrainConfig(n_critic=5, warmup=True, warmup_period=1000)
    for step in (0, 24, 500, 1000, 1024, 2010):
        assert critic_iterations(step, cfg) == 100
    for step in (25, 499, 1025, 1501):
        assert critic_iterations(step, cfg) == 5
