"""mudar: music-dance representations learned by synchronizing music and dance rhythms."""

from mudar.clock import DEFAULT_CLOCK, FrameClock
from mudar.errors import DecodeError, InputError, MudarError, ParameterError

__version__ = "0.1.0"


def load_model(path=None, *, device: str = "cpu"):
    """The MuDaR model at ``path``, or the one shipped with mudar; see
    :func:`mudar.models.checkpoint.load_model` (torch is imported only here)."""
    from mudar.models.checkpoint import load_model as _load

    return _load(path, device=device)


__all__ = [
    "DEFAULT_CLOCK",
    "DecodeError",
    "FrameClock",
    "InputError",
    "MudarError",
    "ParameterError",
    "__version__",
    "load_model",
]
