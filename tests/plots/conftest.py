from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_png(path) -> np.ndarray:
    """Check that ``path`` is a real, non-blank PNG and return its pixels."""
    data = Path(path).read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path} is not a PNG"
    # matplotlib.image.imread is what pyplot.imread calls, without pyplot's
    # global state.
    pixels = mpimg.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50
    assert np.ptp(pixels[..., :3]) > 0, f"{path} is a single flat colour"
    return pixels


@pytest.fixture
def png():
    return read_png
