"""Work larger than memory or than one machine, on Dask (the optional extra ``convolab[scale]``).

* :mod:`convolab.scale.tiles`: an array filtered in chunks, exact at every seam
  (:func:`convolab.image.filter_large` is its front for images);
* :mod:`convolab.scale.folder`: a folder of images classified in one process or
  on a ``dask.distributed`` cluster (``convolab predict FOLDER``): ``predict_folder``,
  ``write_predictions_csv``, ``exit_status``, ``list_images``, ``FolderPrediction``.

The two depend on different layers (tiles on the engine's padding rules, folder on
models and data), so each is loaded only when used: :mod:`convolab.image` needs
``tiles`` without loading the model side. Dask is imported only when a function needs it.
"""

import importlib
from typing import Any

_FOLDER = ("FolderPrediction", "exit_status", "list_images", "predict_folder",
           "write_predictions_csv")  # fmt: skip

__all__ = ["folder", "tiles", *_FOLDER]


def __getattr__(name: str) -> Any:
    if name in ("folder", "tiles"):
        return importlib.import_module(f"convolab.scale.{name}")
    if name in _FOLDER:
        return getattr(importlib.import_module("convolab.scale.folder"), name)
    raise AttributeError(f"module 'convolab.scale' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
