"""The ``mudar`` command line: argparse and printing only; the work is in :mod:`mudar.pipelines`.

Each command module imports its pipeline inside ``run``, not at the top: ``mudar --help`` and
``mudar rhythm --method hoof-flux`` then start without importing torch, Lightning or FAISS. The
same rule, and only it, keeps a few torch imports late below (``mudar.pipelines.method``,
``mudar.tasks.rhythm``): the learning-free methods never load a model.
"""
