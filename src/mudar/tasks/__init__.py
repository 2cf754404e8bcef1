"""What users do with the features and models: rhythm detection (and later classify, retrieve,
retarget). Tasks read :class:`~mudar.features.extract.Analysis` results; they never decode."""
