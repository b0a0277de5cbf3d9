"""The runtime's choices: precision auto by the CPU's bfloat16 support."""

import pytest
import torch

from wgan.precision import cpu_has_native_bf16, resolve_precision

ZEN4 = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n"
SKYLAKE = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n"
GRAVITON3 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n"


@pytest.mark.parametrize("text,native", [(ZEN4, True), (SKYLAKE, False), (GRAVITON3, True), ("", False)])
def test_native_bf16_is_read_from_the_cpu_flags(tmp_path, text, native):
    (tmp_path / "cpuinfo").write_text(text)
    assert cpu_has_native_bf16(tmp_path / "cpuinfo") is native
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu, tmp_path / "cpuinfo") == ("bf16" if native else "fp32")
    assert resolve_precision("fp32", cpu, tmp_path / "cpuinfo") == "fp32"


def test_auto_is_fp32_on_mps_and_without_cpuinfo(tmp_path):
    (tmp_path / "cpuinfo").write_text(ZEN4)
    assert resolve_precision("auto", torch.device("mps"), tmp_path / "cpuinfo") == "fp32"
    assert resolve_precision("auto", torch.device("cpu"), tmp_path / "missing") == "fp32"
