"""Every name and default a user chooses on the command line, in one place.

The command line, the tasks, the training recipes and the bench all take their lists from here,
so a new method is added once. Names are the paper's where it has one. This module imports
nothing (not even numpy): ``mudar --help`` reads it without loading any of the work.
"""

from __future__ import annotations

DANCE_RHYTHM = (
    "mudar",
    "mudar-noaudio",
    "hoof-flux",
    "directogram",
    "motion-energy",
    "pose",
    "timing",
    "timing-beats",
)
"""Dance rhythm of a video (``mudar rhythm --method``): the learned model with and without the
music (the audio dropout path), HOOF flux, Davis & Agrawala's directogram, the minima of the
motion energy between the video's own frames (the dancer's stops), the motion beats of the
dancer's body (minima of the joint speed of a MediaPipe pose track: the ``pose`` extra), the
learned timing model (when the dancer accents, from the motion energy and the pose track's
joint speeds: the ``pose`` extra; no music), and the dance's steady beat through that model's
probabilities (``timing-beats``: one pulse a beat, at the phase the model finds)."""

LEARNING_FREE = ("hoof-flux", "directogram", "motion-energy", "pose")
"""Dance rhythm methods without training."""

NEEDS_EXTRA = {"pose": "pose", "timing": "pose", "timing-beats": "pose"}
"""Methods that need an optional extra (method -> extra): left out of what runs by default
where the extra may be missing or the work is long (the bench's default methods)."""

SYNC = ("hoof-flux", "motion-energy", "pose", "timing")
"""Dance curves ``mudar sync --method`` correlates with the music's onsets: the HOOF flux, and
pulses at the dancer's stops (:func:`mudar.tasks.sync.stop_pulses`), at the motion beats of
the dancer's pose track, or at the learned timing model's rhythm times (the ``pose`` extra)."""

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

RHYTHM_MODELS = ("timing",)
"""Learned dance rhythm models of a recipe of their own (not ``mudar train``'s): the timing
model, which ``mudar bench`` trains per seed on the music's beats of its training dances."""

TIMING_ROWS = ("timing", "timing-beats")
"""The rows of the rhythm table the bench's ``timing`` run scores, one model for both: its
rhythm points (``timing``) and the dance's steady beat through its probabilities
(``timing-beats``); each is read against the best rule."""

BENCH = LEARNED + LEARNING_FREE + RHYTHM_MODELS + MUSIC_ENCODERS
"""The methods of ``mudar bench`` (``--methods`` picks among them)."""

BENCH_DEFAULT = tuple(m for m in BENCH if m not in NEEDS_EXTRA)
"""The methods ``mudar bench`` runs without ``--methods``: every one but those of an extra (the
pose track runs at about real time on 2 cores; ``--methods ...,pose`` adds it). ``timing`` is
left out too (trained per seed, it reads the pose track where ``pose`` is chosen, else the motion
energy alone); ``--methods ...,timing`` adds it."""

BENCH_ABLATIONS = (
    "no-audio",
    "no-rhythm",
    "head-bce",
    "head-regression",
    "head-crf",
    "triplet",
    "data-25",
    "data-50",
    "contrastive",
    "detach",
)
"""MuDaR's ablations ``mudar bench --ablations`` picks among (their runs:
:data:`mudar.pipelines.bench.plan.ABLATIONS`, by these names)."""

RHYTHM_HEADS = ("focal", "bce", "regression", "crf")
"""Explicit-pathway heads (Table 1's ablation); ``focal`` is the paper's."""

IMPLICIT_LOSSES = ("triplet", "infonce", "contrastive")
"""Implicit-pathway losses: the paper's triplet (Eq. 18), InfoNCE, AVTS's contrastive loss."""

RETARGET = ("shift", "accel", "dtw", "dtw-points")
"""Retargeting patterns of sec. 4.4 (``dtw``: pulse trains on a time grid; ``dtw-points``: Eq.
22-23 as written, over the rhythm points)."""

RETARGET_ENDS = ("loop", "stop")
"""What ``mudar retarget --end`` does when the song outlasts the dance: play the dance again from
its start (``loop``, the default: the video lasts as long as the song), or end the video, and
cut the song, where the dance ends (``stop``)."""

MARKER_FORMATS = ("csv", "json", "srt")
"""Files of beat and accent markers (``mudar rhythm --markers OUT``, the page's downloads), by
extension: ``time_s,kind,count,label`` rows, the same as JSON, and SubRip captions ("1" .. "8",
"accent") that video editors import."""

MUSIC_RHYTHMS = ("onsets", "beats")
"""Music rhythm points a retargeting aligns with (``--music-rhythm``): onset maxima (default) or
tracked beats."""

RESAMPLE_MODES = ("blend", "nearest")
"""How a retargeted frame is made from the source frames around its source time."""

BEAT_TRACKERS = ("motionbeat", "motionbeat-dp", "input-beats", "librosa")
"""Beat trackers of MotionBeat's beat table."""

CLASSIFY_FLOORS = ("majority", "raw")
"""Rows of a classification score that are no method: the majority class, and a logistic
regression on raw librosa + HOOF statistics."""

TWO_STREAM = "two-stream"
"""The classifier's row of a classification score (embeddings and rhythms of both streams)."""

# --- analysis -----------------------------------------------------------------------------------

DEFAULT_FPS = 8.0
"""The paper's video frame rate (sec. 4.1), frames per second."""

DEFAULT_SR = 16000
"""The paper's audio sample rate (sec. 4.1), Hz."""

STFT_WINDOWS = ("hann", "hamming")
"""STFT windows: ``hann`` (the default: librosa's, which the paper's text names) and ``hamming``
(Eq. 1 of the MuDaR paper; the ``paper`` preset's). The windows themselves are
:data:`mudar.features.dsp.WINDOWS`, by these names."""

HOOF_VOTES = ("nearest", "literal")
"""How a flow vector votes: the nearest bin, or every bin within ``2 pi / B`` (Eq. 4 as written)."""

CAMERA_MODES = ("median", "none")
"""Camera-motion compensation before HOOF: subtract the median flow, or nothing."""

ENERGY_STEPS = 4
"""Samples of the motion energy per clock frame (32 a second on the 8 fps clock)."""

POSE_STRIDE = 1
"""Default pose stride: the body on every decoded frame (the beats' timing needs the video's
own rate; ``mudar pose --pose-stride K`` trades it for speed)."""

TRACK_FORMATS = ("npz", "pkl")
"""How ``mudar pose`` writes a track into a folder: the track's arrays (``.npz``), or AIST++'s
keypoints2d pickle (``.pkl``)."""

# --- datasets -----------------------------------------------------------------------------------

ENGINES = ("local", "ray")
"""Where ``mudar prepare``'s per-file work runs: local worker processes, or Ray tasks."""

DEFAULT_CAMERA = "c01"
"""The camera whose videos ``mudar prepare`` uses when the tree has ``videos/``."""

LOOK_NAMES = (
    "dwm",
    "colours",
    "side",
    "back",
    "wide",
    "small",
    "fps30",
    "fps12",
    "high",
    "far",
    "stick",
)
"""Looks of rendered keypoints (:data:`mudar.synthetic.skeleton.LOOKS`, by these names); all but
``stick`` draw the dancer as a clothed mannequin."""

BODY_NAMES = ("mannequin", "stick")
"""How a look draws the dancer (:data:`mudar.synthetic.figures.BODIES`, by these names)."""

DEFAULT_LOOK = "small"
"""Look of rendered keypoints: 160x160 at 25 fps, enough for the model's 8 fps and 32-64 px."""

DEFAULT_LOOKS = ("dwm", "side", "colours")
"""Looks :func:`mudar.pipelines.locked.make_locked` renders by default."""

SPEED_RANGE = (0.8, 1.25)
"""Default limits of the beat-locked warp's slope ``ds/dtau``: the dancer's speed, times their
own."""

# --- tasks --------------------------------------------------------------------------------------

BAS_FORMS = ("motion", "music", "both")
"""Which Beat Alignment Scores ``mudar bas`` computes: FACT/AIST++ (``motion``), Bailando
(``music``), or both."""

DEFAULT_SIGMA_S = 0.1
"""Kernel width of mudar's BAS, seconds.

Dance rhythm is detected on the 8 fps model clock, so a detected rhythm point is quantised to
0.125 s (up to 62.5 ms off even when the motion is exactly on the beat). With sigma = 0.1 s a
point half a frame away still scores 0.82, one whole frame (0.125 s) 0.46 and two frames
0.04: the score separates "on the beat, within what 8 fps can resolve" from "a frame or more
off". AIST++'s 3 frames at 60 fps (0.05 s) would score a perfectly timed but quantised point as
low as 0.46.
"""

DIRECTIONS = ("music2dance", "dance2music")
"""Retrieval directions: the dances that fit a piece of music, or the music that fits a dance."""

DEFAULT_LAMBDA3 = 0.5
"""Weight of the embedding similarity in Eq. 21 (the rest goes to the rhythm similarity)."""

DEFAULT_MAX_OFFSET_S = 1.0
"""Search range of ``mudar sync``'s delay, seconds either way."""

SYNC_MIN_CONFIDENCE = {"motion-energy": 0.032, "hoof-flux": 0.043, "pose": 0.043, "timing": 0.043}
"""The confidence below which ``mudar sync`` cannot tell the delay, per method: the lowest level
above which at least 90 % of the estimates were within 0.08 s of the true delay (modulo one beat
where the tempo is steady), calibrated on the training half of the dances (split by dance) of
14 beat-locked dwm dances (30 s, look ``high``) and 8 synthetic controls, five delays each:

    mudar make-locked DWM_SUBSET --out LOCKED --looks high --seconds 30
    python benchmarks/bench_sync_level.py --data LOCKED --look high --synthetic 8 \
        --real ../shared/data/dwm --real-limit 6

On the held-out half every estimate at or above the level was right (motion-energy 21 of 55
estimates, hoof-flux 20 of 55); no real dwm dance reached it (see docs/results.md). ``pose`` and
``timing`` were not calibrated (bench_sync_level.py was not run for them: the pose track they read
runs at about real time): each takes the higher of the two measured levels."""

SYNC_FPS = (25.0, 20.0, 16.0, 12.5, 10.0, 8.0)
"""Analysis frame rates ``mudar sync`` picks from, highest first."""

CLASSIFY_SCHEDULES = ("scaled", "paper")
"""Classifier schedules (:data:`mudar.tasks.classify.SCHEDULES`, by these names): ``scaled``
(the default) and the paper's (sec. 4.2)."""

GENRE_ACCEPT = 0.95
"""Share of its own training dances, each scored as if held out, that a genre classifier's
"none of these" level keeps (:func:`mudar.tasks.classify_open.calibrate_open_set`)."""

# --- training -----------------------------------------------------------------------------------

ECL_ANCHORS = ("motion", "music")
"""MotionBeat ECL's anchor: ``motion`` (music hard negatives, today's) or ``music`` (motion
negatives, the summarised paper's)."""

SRAL_FORMS = ("lag_softmax", "soft_dtw")
"""MotionBeat SRAL's form: ``lag_softmax`` (today's) or ``soft_dtw`` (the summarised paper's)."""

RECIPES = ("mudar", "motionbeat")
"""What ``mudar train --recipe`` trains: MuDaR on videos, or MotionBeat on dwm-style dances."""

SPLITS = ("auto", "official", "random")
"""How ``mudar train`` splits training and validation videos."""
