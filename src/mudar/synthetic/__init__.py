"""Made-up dances with known answers: the demo, the ``debug`` preset, the tests and benchmarks.

Kept apart from the library's data path (:mod:`mudar.data` reads real datasets): nothing the
library computes depends on these generators, they only write media files whose beats are
known. :mod:`~mudar.synthetic.video` renders a dancing figure over a click track;
:mod:`~mudar.synthetic.motion` writes 3-D keypoints in the dwm layout on a click track.
"""
