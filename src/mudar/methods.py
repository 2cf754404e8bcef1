"""Every method name mudar knows, in one place.

The command line, the tasks, the training recipes and the bench all take their lists from here,
so a new method is added once. Names are the paper's where it has one.
"""

from __future__ import annotations

DANCE_RHYTHM = ("mudar", "mudar-noaudio", "hoof-flux", "directogram", "motion-energy")
"""Dance rhythm of a video (``mudar rhythm --method``): the learned model with and without the
music (the audio dropout path), HOOF flux, Davis & Agrawala's directogram, and the minima of
the motion energy between the video's own frames (the dancer's stops)."""

LEARNING_FREE = ("hoof-flux", "directogram", "motion-energy")
"""Dance rhythm methods without training."""

SYNC = ("hoof-flux", "motion-energy")
"""Dance curves ``mudar sync --method`` correlates with the music's onsets: the HOOF flux, and
pulses at the dancer's stops (:func:`mudar.tasks.sync.stop_pulses`)."""

RHYTHM_FLOORS = ("chance", "peaks", "all")
"""Rows of a rhythm score that are no method: seeded random frames at the true onset rate, the
learned heads' peak picker on white noise, and every frame."""

RHYTHM_EVAL = (*DANCE_RHYTHM, "chance", "all")
"""What ``mudar eval --methods`` scores (``peaks`` is added by the scorer itself)."""

BASELINES = ("multisensory", "avts", "lla")
"""The paper's self-supervised baselines (Multisensory, AVTS, LLA)."""

LEARNED = ("mudar", *BASELINES)
"""What ``mudar train --method`` trains, and a checkpoint's ``method``."""

MUSIC_ENCODERS = ("motionbeat",)
"""Music representations learned from dance motion (``mudar train --recipe motionbeat``)."""

BENCH = LEARNED + LEARNING_FREE + MUSIC_ENCODERS
"""The methods of ``mudar bench`` (``--methods`` picks among them)."""

RHYTHM_HEADS = ("focal", "bce", "regression", "crf")
"""Explicit-pathway heads (Table 1's ablation); ``focal`` is the paper's."""

IMPLICIT_LOSSES = ("triplet", "infonce", "contrastive")
"""Implicit-pathway losses: the paper's triplet (Eq. 18), InfoNCE, AVTS's contrastive loss."""

RETARGET = ("shift", "accel", "dtw", "dtw-points")
"""Retargeting patterns of sec. 4.4 (``dtw``: pulse trains on a time grid; ``dtw-points``: Eq.
22-23 as written, over the rhythm points)."""

BEAT_TRACKERS = ("motionbeat", "motionbeat-dp", "input-beats", "librosa")
"""Beat trackers of MotionBeat's beat table."""

CLASSIFY_FLOORS = ("majority", "raw")
"""Rows of a classification score that are no method: the majority class, and a logistic
regression on raw librosa + HOOF statistics."""
