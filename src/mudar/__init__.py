"""mudar: music-dance representations learned by synchronizing music and dance rhythms."""

from mudar.clock import DEFAULT_CLOCK, FrameClock
from mudar.errors import DecodeError, InputError, MudarError, ParameterError

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CLOCK",
    "DecodeError",
    "FrameClock",
    "InputError",
    "MudarError",
    "ParameterError",
    "__version__",
]
