import pytest
import torch

from wgan.errors import WganError
from wgan.training.runner import CaptureFailed, capture_blockers
from wgan.training.trainer import Trainer

cuda = pytest.mark.gpu


def test_capture_is_refused_with_every_reason():
    class Streamed:
        streaming = True

    reasons = capture_blockers(torch.device("cpu"), Streamed(), "linear")
    assert len(reasons) == 3
    assert any("CUDA device" in r for r in reasons)
    assert any("streamed" in r for r in reasons)
    assert any("optim.decay" in r for r in reasons)


def test_cuda_graph_on_without_cuda_is_a_clear_error(tiny_toy_config):
    tiny_toy_config.train.cuda_graph = "on"
    with pytest.raises(WganError, match="train.cuda_graph=on.*CUDA device"):
        Trainer(tiny_toy_config, progress=False)


def test_cpu_trains_eagerly_with_graph_auto(tiny_toy_config):
    tiny_toy_config.train.cuda_graph = "auto"
    trainer = Trainer(tiny_toy_config, progress=False)
    trainer.train_step()
    assert trainer.runner.captured is None and trainer.state.step == 1


def test_training_state_restores_in_place_and_resets_fresh_optimiser_moments(tiny_toy_config):
    trainer = Trainer(tiny_toy_config, progress=False)
    state = trainer.runner.snapshot()  # taken before the first step: Adam has no moments yet
    weights = [p.detach().clone() for p in trainer.algorithm.critic.parameters()]
    pointers = [p.data_ptr() for p in trainer.algorithm.critic.parameters()]
    rng = torch.get_rng_state()
    for _ in range(3):
        trainer.train_step()
    assert not all(torch.equal(a, b) for a, b in zip(weights, trainer.algorithm.critic.parameters()))
    state.restore()
    assert all(torch.equal(a, b) for a, b in zip(weights, trainer.algorithm.critic.parameters()))
    assert pointers == [p.data_ptr() for p in trainer.algorithm.critic.parameters()]  # the same tensors, refilled
    moments = [v for s in trainer.algorithm.opt_c.state.values() for v in s.values() if torch.is_tensor(v)]
    assert moments and all(float(v.abs().sum()) == 0 for v in moments)  # as a fresh Adam's
    assert torch.equal(rng, torch.get_rng_state())


def test_restored_state_replays_the_same_training(tiny_toy_config):
    # What capture relies on: warm-up iterations, undone, leave no trace on the trajectory.
    trainer = Trainer(tiny_toy_config, progress=False)
    state = trainer.runner.snapshot()
    for _ in range(2):
        trainer.train_step()
    after_two = [p.detach().clone() for p in trainer.algorithm.generator.parameters()]
    state.restore()
    trainer.state.step = 0  # the random numbers are keyed on the step, which capture never moves
    for _ in range(2):
        trainer.train_step()
    assert all(torch.equal(a, b) for a, b in zip(after_two, trainer.algorithm.generator.parameters()))


def unrecordable(self, n_critic):
    """Stands in for CapturedIteration._capture where recording fails (as an operation that cannot be captured would)."""
    raise CaptureFailed("operation not permitted when stream is capturing")


def _generator_after_two_steps(cfg, graph_wanted: bool) -> list[torch.Tensor]:
    trainer = Trainer(cfg, progress=False)
    trainer.runner.wanted = graph_wanted  # as on a GPU where nothing forbids capture
    for _ in range(2):
        trainer.train_step()
    assert not trainer.runner.wanted and trainer.state.step == 2
    return [p.detach().clone() for p in trainer.algorithm.generator.parameters()]


def test_a_failed_capture_warns_and_trains_eagerly_on_the_same_trajectory(tiny_toy_config, monkeypatch):
    monkeypatch.setattr("wgan.training.runner.CapturedIteration._capture", unrecordable)
    with pytest.warns(UserWarning, match=r"training without CUDA graphs: recording .* failed \(operation not"):
        after = _generator_after_two_steps(tiny_toy_config, graph_wanted=True)
    eager = _generator_after_two_steps(tiny_toy_config, graph_wanted=False)
    assert all(torch.equal(a, b) for a, b in zip(after, eager))


def test_a_failed_capture_is_an_error_with_cuda_graph_on(tiny_toy_config, monkeypatch):
    monkeypatch.setattr("wgan.training.runner.CapturedIteration._capture", unrecordable)
    trainer = Trainer(tiny_toy_config, progress=False)
    trainer.runner.mode, trainer.runner.wanted = "on", True
    with pytest.raises(WganError, match="train.cuda_graph=on, but the iteration cannot be recorded"):
        trainer.train_step()


@cuda
def test_captured_iterations_follow_the_eager_trajectory(tiny_image_config):
    def losses(graph: str) -> list[float]:
        cfg = tiny_image_config
        cfg.update({"train": {"device": "cuda", "cuda_graph": graph}})
        trainer = Trainer(cfg, progress=False)
        out = []
        for _ in range(4):
            trainer.train_step()
            out.append(trainer.gather()["loss_critic"])
        assert (trainer.runner.captured is not None) == (graph == "on")
        return out

    assert losses("on") == pytest.approx(losses("off"), rel=1e-3, abs=1e-4)


@cuda
def test_captured_training_resumes_and_keeps_learning(tiny_image_config, tmp_path):
    cfg = tiny_image_config
    cfg.update({"train": {"device": "cuda", "cuda_graph": "on", "precision": "bf16"}})
    trainer = Trainer(cfg, tmp_path / "run", progress=False)
    before = [p.detach().clone() for p in trainer.algorithm.generator.parameters()]
    trainer.fit()
    assert trainer.state.step == cfg.train.steps
    assert not all(torch.equal(a, b) for a, b in zip(before, trainer.algorithm.generator.parameters()))
    resumed = Trainer.resume(tmp_path / "run", progress=False)
    resumed.fit(cfg.train.steps + 2)
    assert resumed.state.step == cfg.train.steps + 2


def test_cuda_graphs_are_opt_in_until_measured_on_a_gpu():
    from wgan.config import Config

    assert Config().train.cuda_graph == "off"
