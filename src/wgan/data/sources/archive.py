"""A zip archive of images, read in place: CelebA ships as ``img_align_celeba.zip``.

Members are listed from the archive's directory (:func:`.entries.scan_archive`) and decoded one
by one without extracting anything, by the image folder's decoder, so every rule of an image
folder holds (:mod:`.folder`): the same extensions, hidden files and ``__MACOSX`` left out,
grayscale and colour, ``--image-size`` resizing and centre-cropping, class subfolders as labels,
the decoded pixels kept for the next start.
"""

from __future__ import annotations

from .entries import is_archive
from .folder import load_folder_kept, peek_folder
from .kinds import SOURCES, Source

SOURCES.register("zip", Source("a zip archive of images (read in place; class subfolders become labels)",
                               load_folder_kept, recognises=is_archive, peek=peek_folder, has_split=False))
