"""What a dance rhythm method needs before it sees a file: the analysis settings and, for the
learned methods, the model (loaded once for a batch of files)."""

from __future__ import annotations

import os

from mudar.clock import DEFAULT_FPS, DEFAULT_SR, FrameClock
from mudar.errors import ParameterError
from mudar.features.analysis import AnalysisConfig
from mudar.optional import installed
from mudar.tasks.rhythm import RHYTHM_METHODS, measure_needs, rhythm_method


def body_method() -> str:
    """The dance rhythm that judges a dancer's timing: ``pose`` (the moments the body stops,
    from its pose track) where the ``pose`` extra is installed, else ``motion-energy`` (the
    moments the picture stops moving). Both see the motion alone; the learned ``mudar`` hears
    the music and copies its rate, so it cannot say whether a dancer is on the beat."""
    return "pose" if installed("mediapipe") else "motion-energy"


def without_music(method: str) -> str:
    """The dance rhythm method that sees the motion alone.

    ``mudar`` becomes ``mudar-noaudio`` (the audio dropout path), so that the music a dance
    rhythm is scored or aligned against cannot leak into it; every other method is returned as
    it is (:attr:`~mudar.tasks.rhythm.RhythmMethod.without_music`). An unknown name is returned
    as it is too, for the caller's own check to name.
    """
    entry = RHYTHM_METHODS.get(method)
    return (entry.without_music or method) if entry is not None else method


def analysis_setup(
    method: str,
    *,
    checkpoint: str | os.PathLike | None = None,
    fps: float | None = None,
    sr: int = DEFAULT_SR,
    **fields,
) -> tuple[AnalysisConfig, object | None]:
    """The analysis config of a dance rhythm method, and its model (None when learning-free).

    Parameters
    ----------
    method : str
        A :data:`mudar.tasks.rhythm.RHYTHM_METHODS` name; those that need a model load it.
    checkpoint : path-like, optional
        Model of the ``mudar`` methods (default: the shipped one).
    fps : float, optional
        Analysis frame rate asked for, frames per second; a model only runs at its own. Default:
        the model's frame clock, else :data:`~mudar.clock.DEFAULT_FPS`.
    sr : int
        Audio analysis rate, Hz.
    **fields
        Other :class:`~mudar.features.analysis.AnalysisConfig` fields (``size``, ``flow`` ...);
        a model sets ``frame_size`` itself, and ``stft_window`` and ``hoof_vote`` where not
        given.

    Returns
    -------
    (AnalysisConfig, MuDaR or None)

    Raises
    ------
    InputError
        The checkpoint is missing or unreadable.
    ParameterError
        An unknown method (one line naming the known ones), ``fps`` is not the model's
        (checked before the clock itself), or bad analysis settings.
    """
    entry = rhythm_method(method)
    model = None
    if entry.needs_model and entry.model == "timing":
        from mudar.models.checkpoint import load_timing

        # the timing model reads the motion energy on the default clock
        return measure_needs(
            AnalysisConfig(clock=FrameClock(fps=fps or DEFAULT_FPS, sr=sr), **fields), [method]
        ), load_timing(checkpoint)
    if entry.needs_model:
        # loaded here only: the learning-free methods never import torch
        from mudar.models.checkpoint import load_model

        model = load_model(checkpoint)
        if fps is not None and fps != model.config.fps:
            raise ParameterError(f"--fps must be the model's {model.config.fps:g} for {method}")
        # the model's music and HOOF analysis unless asked otherwise; its frames and energy
        own = model.config.analysis_config()
        fields = {
            "stft_window": own.stft_window,
            "hoof_vote": own.hoof_vote,
            **fields,
            "frame_size": own.frame_size,
            "energy_steps": own.energy_steps,
        }
    if model is not None and fps is None:
        clock = FrameClock(fps=model.config.fps, sr=sr, sub=model.config.sub)
    else:
        clock = FrameClock(fps=DEFAULT_FPS if fps is None else fps, sr=sr)
    return measure_needs(AnalysisConfig(clock=clock, **fields), [method]), model
