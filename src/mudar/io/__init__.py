"""Media I/O: open any file FFmpeg decodes, read frames on the model clock, read audio."""

from mudar.io.audio import load_audio
from mudar.io.media import MediaInfo, probe
from mudar.io.video import iter_frames

__all__ = ["MediaInfo", "iter_frames", "load_audio", "probe"]
