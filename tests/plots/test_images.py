import numpy as np
import pytest
from PIL import Image

from wgan.errors import WganError
from wgan.plots.images import (
    PADDING,
    class_grid_order,
    make_class_grid,
    make_grid,
    save_class_grid,
    save_folder,
    save_grid,
)


def images(n, h=8, w=6, c=1, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, c), dtype=np.uint8)


def cell(grid, row, col, h, w):
    """The image at (row, col) of a grid made with make_grid's padding."""
    top, left = PADDING + row * (h + PADDING), PADDING + col * (w + PADDING)
    return grid[top:top + h, left:left + w]


@pytest.mark.parametrize("n, nrow, rows, cols", [(100, 10, 10, 10), (23, 10, 3, 10), (7, 3, 3, 3), (4, 10, 1, 4)])
def test_grid_shape(n, nrow, rows, cols):
    grid = make_grid(images(n), nrow)
    assert grid.dtype == np.uint8
    assert grid.shape == (rows * (8 + PADDING) + PADDING, cols * (6 + PADDING) + PADDING, 1)


def test_grid_keeps_images_in_row_major_order_and_channels():
    x = images(5, c=3)
    grid = make_grid(x, nrow=2)
    assert grid.shape[-1] == 3
    for i in range(5):
        np.testing.assert_array_equal(cell(grid, i // 2, i % 2, 8, 6), x[i])
    assert cell(grid, 2, 1, 8, 6).max() == 0  # the empty slot is padding


def test_grid_accepts_nhw_grayscale_and_rejects_bad_input():
    assert make_grid(images(3)[..., 0], 3).shape[-1] == 1
    with pytest.raises(WganError, match="uint8"):
        make_grid(images(3).astype(np.float32))
    with pytest.raises(WganError, match="shape"):
        make_grid(np.zeros((0, 4, 4, 1), np.uint8))


def test_save_grid_writes_png(tmp_path):
    path = save_grid(images(12), tmp_path / "sub" / "grid.png", nrow=4)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.mode == "L"
        assert im.size == (4 * (6 + PADDING) + PADDING, 3 * (8 + PADDING) + PADDING)
    assert [p.name for p in path.parent.iterdir()] == ["grid.png"]  # no temporary file left


def test_class_grid_order_by_column_and_row():
    labels, noise, nrow = class_grid_order(3, 2, by="column")
    assert nrow == 3
    assert labels.tolist() == [0, 1, 2, 0, 1, 2] and noise.tolist() == [0, 0, 0, 1, 1, 1]
    labels, noise, nrow = class_grid_order(3, 2, by="row")
    assert nrow == 2
    assert labels.tolist() == [0, 0, 1, 1, 2, 2] and noise.tolist() == [0, 1, 0, 1, 0, 1]
    with pytest.raises(WganError, match="column"):
        class_grid_order(3, 2, by="diagonal")


def test_class_grid_column_c_holds_class_c_and_rows_share_noise(tmp_path):
    k, p, h, w = 4, 3, 5, 5
    # Image (class c, noise j) is filled with 10 * c + j: its position tells both.
    by_class = np.array([[np.full((h, w, 1), 10 * c + j, np.uint8) for j in range(p)] for c in range(k)])
    grid = make_class_grid(by_class, by="column")
    for row in range(p):
        for col in range(k):
            assert (cell(grid, row, col, h, w) == 10 * col + row).all()
    grid = make_class_grid(by_class, by="row")
    for row in range(k):
        for col in range(p):
            assert (cell(grid, row, col, h, w) == 10 * row + col).all()
    assert save_class_grid(by_class, tmp_path / "classes.png").is_file()


def test_save_folder_names_and_labels(tmp_path):
    out = save_folder(images(3, c=3), tmp_path / "new", labels=[7, 0, 2])
    names = sorted(p.name for p in out.iterdir())
    assert names == ["00000_class7.png", "00001_class0.png", "00002_class2.png"]
    with Image.open(out / names[0]) as im:
        assert im.size == (6, 8) and im.mode == "RGB"
    (tmp_path / "empty").mkdir()
    assert sorted(p.name for p in save_folder(images(2), tmp_path / "empty").iterdir()) == ["00000.png", "00001.png"]


def test_save_folder_refuses_non_empty_folder_and_writes_nothing(tmp_path):
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    with pytest.raises(WganError, match="not empty"):
        save_folder(images(2), folder)
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
    assert (folder / "mine.txt").read_text() == "keep me"
    with pytest.raises(WganError, match="not a folder"):
        save_folder(images(2), folder / "mine.txt")
