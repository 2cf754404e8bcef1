"""``mudar train``'s work: the two training recipes, MuDaR on dance videos
(:func:`mudar.training.train.train`) and MotionBeat on dwm-style dances
(:func:`mudar.training.motionbeat.train_motionbeat`).

Each recipe is already a whole pipeline (data, split, trainer, run folder); this module is the
one door the command line goes through, so that it imports no training module itself.
"""

from __future__ import annotations

from mudar.training.motionbeat import train_motionbeat
from mudar.training.train import train

__all__ = ["train", "train_motionbeat"]
