"""The space the networks work in, and the way back to the data's own coordinates.

A :class:`DataSpace` is all a generator needs to know about its data to write
samples a user can read: what kind of data (2-D points or images), the shape
of one sample, the class names, and how to undo the normalisation (the toys'
standardisation; images' [-1, 1]). It is small and plain, so it travels with
the generator in its file and sampling never needs the data itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from ..errors import WganError

SPACE_KINDS = ("toy", "image")


@dataclass(frozen=True)
class DataSpace:
    kind: str  # "toy" (2-D points) or "image"
    shape: tuple[int, ...]  # one sample: (2,) or (C, H, W)
    name: str = ""  # the data set's name or path, as the run's config gives it
    shift: tuple[float, ...] | None = None  # toy: data = network * scale + shift
    scale: tuple[float, ...] | None = None
    class_names: tuple[str, ...] = ()

    def to_data(self, x: torch.Tensor) -> torch.Tensor:
        """Network space -> data coordinates (images: [-1, 1] -> [0, 255] floats)."""
        if self.kind == "image":
            return (x.float().clamp(-1.0, 1.0) + 1.0) * 127.5
        return x * self._tensor(self.scale, x) + self._tensor(self.shift, x)

    def from_data(self, x: torch.Tensor) -> torch.Tensor:
        """Data coordinates -> network space (the inverse of :meth:`to_data`)."""
        if self.kind == "image":
            return x.float() / 127.5 - 1.0
        return (x - self._tensor(self.shift, x)) / self._tensor(self.scale, x)

    @staticmethod
    def _tensor(values, like: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(values if values is not None else 0.0, dtype=like.dtype, device=like.device)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "DataSpace":
        try:
            space = cls(kind=str(d["kind"]), shape=tuple(int(s) for s in d["shape"]), name=str(d.get("name", "")),
                        shift=None if d.get("shift") is None else tuple(float(v) for v in d["shift"]),
                        scale=None if d.get("scale") is None else tuple(float(v) for v in d["scale"]),
                        class_names=tuple(str(c) for c in d.get("class_names") or ()))
        except (KeyError, TypeError, ValueError) as e:
            raise WganError(f"the data description of this generator is damaged ({e})") from None
        if space.kind not in SPACE_KINDS:
            raise WganError(f"unknown data kind {space.kind!r} in this generator's description; accepted: toy, image")
        space.check_shape()
        return space

    def check_shape(self) -> None:
        """Refuse a shape no data of this kind has: points are (2,); images (C, H, W), C 1 or 3, H and W
        at most ``MAX_IMAGE_SIZE`` (the description may come from a file someone else made)."""
        from ..config import MAX_IMAGE_SIZE

        shape = self.shape
        if self.kind == "toy":
            ok = shape == (2,) and all(v is None or len(v) == 2 for v in (self.shift, self.scale))
            accepted = "(2,) with a shift and scale of 2 numbers each"
        else:
            ok = len(shape) == 3 and shape[0] in (1, 3) and all(1 <= s <= MAX_IMAGE_SIZE for s in shape[1:])
            accepted = f"(C, H, W) with C 1 or 3 and H, W in 1..{MAX_IMAGE_SIZE}"
        if not ok:
            raise WganError(f"the data description of this generator has shape {shape} for {self.kind} data; "
                            f"accepted: {accepted}")
