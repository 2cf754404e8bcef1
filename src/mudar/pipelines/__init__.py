"""File in, file out: the only layer below :mod:`mudar.cli` that decodes media.

Each module takes the paths a user gives (videos, songs, motion files), decodes them through
:mod:`mudar.io` and :func:`mudar.features.extract.analyze`, hands the features to the pure
functions of :mod:`mudar.tasks`, and writes what the user asked for. The command line, the web
page, the demo and the benchmarks call these; none of them decodes media itself.
"""
