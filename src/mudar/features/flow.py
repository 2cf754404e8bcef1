"""Dense optical flow between two gray frames, behind one small interface.

A flow backend is any callable ``backend(prev, nxt) -> flow`` with a ``name``: ``prev`` and
``nxt`` are uint8 gray images of shape (H, W), ``flow`` is float32 of shape (H, W, 2) holding
``(dx, dy)`` in pixels per frame, image coordinates (x right, y down), such that
``nxt[y + dy, x + dx] ~ prev[y, x]``. The backends are registered here: the classical OpenCV ones
(``"dis"``, ``"farneback"``) and the paper's PWC-Net (``"pwcnet"``, whose network lives in
:mod:`mudar.models.pwcnet` and is imported only when that backend is built); more can be added
with :func:`register_flow_backend`, and every feature that takes ``backend="..."`` can use them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from mudar.errors import ParameterError

__all__ = [
    "FLOW_BACKENDS",
    "DISFlow",
    "FarnebackFlow",
    "FlowBackend",
    "PWCNetFlow",
    "get_flow_backend",
    "register_flow_backend",
]


@runtime_checkable
class FlowBackend(Protocol):
    """Optical flow from one gray frame to the next.

    Attributes
    ----------
    name : str
        Registry name of the backend (``"dis"``, ``"farneback"``, ...).
    """

    name: str

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        """Flow from ``prev`` to ``nxt``.

        Parameters
        ----------
        prev, nxt : np.ndarray, uint8, shape (H, W)
            Consecutive gray frames.

        Returns
        -------
        np.ndarray, float32, shape (H, W, 2)
            ``(dx, dy)`` in pixels per frame, y down.
        """
        ...


def _check_pair(prev: np.ndarray, nxt: np.ndarray) -> None:
    if prev.dtype != np.uint8 or nxt.dtype != np.uint8:
        raise ParameterError(f"frames must be uint8, got {prev.dtype} and {nxt.dtype}")
    if prev.ndim != 2 or prev.shape != nxt.shape:
        raise ParameterError(
            f"frames must be gray (H, W) of the same shape, got {prev.shape} and {nxt.shape}"
        )


class DISFlow:
    """Dense Inverse Search flow (Kroeger et al., ECCV 2016), OpenCV's ``DISOpticalFlow``.

    The default backend: on a 128 x 128 frame ``"ultrafast"`` takes about 0.1 ms and
    ``"fast"`` about 0.3 ms on one CPU core, and both are within a few tenths of a pixel on
    textured translations.

    Parameters
    ----------
    preset : {"ultrafast", "fast", "medium"}
        Speed/accuracy preset.
    finest_scale : int, optional
        Finest pyramid level DIS estimates on (0 is full resolution, ``s`` is ``1 / 2**s``;
        the presets use 2 for "ultrafast" and "fast", 1 for "medium"); coarser is faster.
    patch_stride : int, optional
        Stride between the patches DIS matches, pixels (the presets use 4, 4 and 3).
    """

    PRESETS = {
        "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
        "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
        "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
    }

    def __init__(
        self,
        preset: str = "ultrafast",
        *,
        finest_scale: int | None = None,
        patch_stride: int | None = None,
    ) -> None:
        if preset not in self.PRESETS:
            raise ParameterError(f"DIS preset must be one of {tuple(self.PRESETS)}, got {preset!r}")
        if finest_scale is not None and not 0 <= finest_scale <= 4:
            raise ParameterError(f"finest_scale must be in 0..4, got {finest_scale}")
        if patch_stride is not None and patch_stride < 1:
            raise ParameterError(f"patch_stride must be >= 1, got {patch_stride}")
        self.name = "dis"
        self.preset = preset
        self._dis = cv2.DISOpticalFlow_create(self.PRESETS[preset])
        if finest_scale is not None:
            self._dis.setFinestScale(int(finest_scale))
        if patch_stride is not None:
            self._dis.setPatchStride(int(patch_stride))
        self.finest_scale = self._dis.getFinestScale()
        self.patch_stride = self._dis.getPatchStride()

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        _check_pair(prev, nxt)
        return self._dis.calc(prev, nxt, None)

    def __repr__(self) -> str:
        return (
            f"DISFlow(preset={self.preset!r}, finest_scale={self.finest_scale}, "
            f"patch_stride={self.patch_stride})"
        )


class FarnebackFlow:
    """Farneback's polynomial-expansion flow, OpenCV's ``calcOpticalFlowFarneback``.

    Slower than DIS (about 12 ms on a 256 x 256 frame) but smooth and accurate; a reference.

    Parameters
    ----------
    pyr_scale : float
        Scale between pyramid levels, < 1.
    levels : int
        Number of pyramid levels.
    winsize : int
        Averaging window, pixels.
    iterations : int
        Iterations per level.
    poly_n : int
        Neighbourhood of the polynomial expansion, pixels (5 or 7).
    poly_sigma : float
        Gaussian smoothing of the expansion (1.1 for ``poly_n=5``, 1.5 for 7).
    """

    def __init__(
        self,
        *,
        pyr_scale: float = 0.5,
        levels: int = 3,
        winsize: int = 15,
        iterations: int = 3,
        poly_n: int = 5,
        poly_sigma: float = 1.2,
    ) -> None:
        if not 0 < pyr_scale < 1:
            raise ParameterError(f"pyr_scale must be in (0, 1), got {pyr_scale}")
        if levels < 1 or winsize < 3 or iterations < 1 or poly_n < 3 or poly_sigma <= 0:
            raise ParameterError(
                "levels >= 1, winsize >= 3, iterations >= 1, poly_n >= 3 and poly_sigma > 0 "
                f"required, got levels={levels}, winsize={winsize}, iterations={iterations}, "
                f"poly_n={poly_n}, poly_sigma={poly_sigma}"
            )
        self.name = "farneback"
        self._args = (pyr_scale, levels, winsize, iterations, poly_n, poly_sigma, 0)

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        _check_pair(prev, nxt)
        return cv2.calcOpticalFlowFarneback(prev, nxt, None, *self._args)

    def __repr__(self) -> str:
        keys = ("pyr_scale", "levels", "winsize", "iterations", "poly_n", "poly_sigma")
        args = ", ".join(f"{k}={v}" for k, v in zip(keys, self._args[:6], strict=True))
        return f"FarnebackFlow({args})"


class PWCNetFlow:
    """PWC-Net (Sun et al., CVPR 2018) as a flow backend, :mod:`mudar.models.pwcnet`.

    The network (and torch) is imported when the backend is built, so that this module needs
    no torch; :func:`mudar.models.pwcnet.estimate_flow` says how the frames are fed to it.

    Parameters
    ----------
    weights : str or path-like
        NVlabs' ``pwc_net.pth.tar`` or a state dict of the same layout (``--pwcnet-weights``).
        Required: an untrained PWC-Net's flow is meaningless.
    device : str or torch.device
        Where the network runs.

    Raises
    ------
    ParameterError
        If ``weights`` is None, or the checkpoint does not fit PWC-Net.
    InputError
        If ``weights`` is missing or unreadable.
    """

    def __init__(self, weights: str | os.PathLike | None = None, device="cpu") -> None:
        if weights is None:
            raise ParameterError(
                "the pwcnet flow backend needs trained weights: pass --pwcnet-weights PATH "
                "(weights=PATH), e.g. NVlabs' pwc_net.pth.tar"
            )
        from mudar.models import pwcnet  # late: torch only for this backend

        self.name = "pwcnet"
        self.weights = str(weights)
        self.device = str(device)
        self._pwcnet = pwcnet
        self.model = pwcnet.load_pwcnet(weights, map_location=device).to(device)

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        _check_pair(prev, nxt)
        return self._pwcnet.estimate_flow(self.model, prev, nxt)

    def __repr__(self) -> str:
        return f"PWCNetFlow(weights={self.weights!r}, device={self.device!r})"


_REGISTRY: dict[str, Callable[..., FlowBackend]] = {
    "dis": DISFlow,
    "farneback": FarnebackFlow,
    "pwcnet": PWCNetFlow,
}


def register_flow_backend(name: str, factory: Callable[..., FlowBackend]) -> None:
    """Make a flow backend available by name.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"pwcnet"``. Registering a name again replaces the factory.
    factory : callable
        ``factory(**options)`` returns a :class:`FlowBackend`.

    Raises
    ------
    ParameterError
        If ``name`` is empty or ``factory`` is not callable.
    """
    if not isinstance(name, str) or not name:
        raise ParameterError(f"backend name must be a non-empty string, got {name!r}")
    if not callable(factory):
        raise ParameterError(f"factory for {name!r} must be callable, got {factory!r}")
    _REGISTRY[name] = factory


def get_flow_backend(name: str = "dis", **options) -> FlowBackend:
    """Build the flow backend registered as ``name``.

    Parameters
    ----------
    name : str
        One of :data:`FLOW_BACKENDS` (``"dis"`` by default).
    **options
        Passed to the backend's factory, e.g. ``preset="fast"`` for ``"dis"``.

    Returns
    -------
    FlowBackend

    Raises
    ------
    ParameterError
        If no backend is registered as ``name``.
    """
    if name not in _REGISTRY:
        raise ParameterError(
            f"unknown flow backend {name!r}; known: {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name](**options)


class _Names:
    """Live, read-only view of the registered backend names."""

    def __iter__(self):
        return iter(sorted(_REGISTRY))

    def __contains__(self, name: object) -> bool:
        return name in _REGISTRY

    def __len__(self) -> int:
        return len(_REGISTRY)

    def __repr__(self) -> str:
        return repr(tuple(self))


FLOW_BACKENDS = _Names()
"""Names of the registered flow backends (kept up to date by :func:`register_flow_backend`)."""
