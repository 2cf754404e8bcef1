"""``mudar bench``: train every method under one budget and score it on held-out dances.

The paper's tables, rebuilt on the data at hand, as mean +- std over seeds:

- ``rhythm`` (Table 1): visual rhythm precision / recall / F1 against the music onsets,
  scored *without the music* at inference (with ``--methods ...,timing``, the learned timing
  model too, and how much more than the best rule it gains);
- ``classification`` (Table 2): genre accuracy of the two-stream classifier on frozen
  embeddings;
- ``retrieval_sync`` / ``retrieval_genre`` (Table 3): music-to-dance retrieval;
- ``retarget``: BAS of a dance re-timed onto other music, before and after;
- ``speed``: real-time factor of the analysis, training time, query latency.

An orchestrator of the other pipelines, so it is one of them. One module per question:
:mod:`~mudar.pipelines.bench.plan` (which runs, which budget, which dances are held out),
:mod:`~mudar.pipelines.bench.data` (the prepared features and their subsets),
:mod:`~mudar.pipelines.bench.rhythm`, :mod:`~mudar.pipelines.bench.classification`,
:mod:`~mudar.pipelines.bench.retrieval`, :mod:`~mudar.pipelines.bench.retarget` and
:mod:`~mudar.pipelines.bench.speed` (how one model is scored for one table),
:mod:`~mudar.pipelines.bench.timing` (the learned timing model: its training and its row),
:mod:`~mudar.pipelines.bench.run` (the orchestration, resumable) and
:mod:`~mudar.pipelines.bench.scoring` (what each run is scored on),
:mod:`~mudar.pipelines.bench.tables` (mean and std over seeds, JSON and Markdown) and
:mod:`~mudar.pipelines.bench.report` (HTML with plots).
"""
