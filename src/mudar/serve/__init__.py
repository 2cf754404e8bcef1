"""``mudar serve``: one local web page for the tools (FastAPI + uvicorn, a static page).

The page uploads or picks files and queues jobs; every job calls the same
:mod:`mudar.pipelines` functions as the command line (:mod:`mudar.serve.work`). FastAPI is the
``serve`` extra and is imported only by :func:`mudar.serve.app.create_app`.
"""
