"""``mudar serve``'s work: the web page's app (:mod:`mudar.serve`) and the server that runs it."""

from __future__ import annotations

import os
from dataclasses import dataclass

from mudar.optional import require

__all__ = ["Server", "make_server"]


@dataclass
class Server:
    """A made app, and where it will listen.

    Attributes
    ----------
    app : fastapi.FastAPI
        From :func:`mudar.serve.app.create_app`.
    host : str
    port : int
    """

    app: object
    host: str
    port: int
    _uvicorn: object

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def run(self) -> None:
        """Serve until stopped (Ctrl-C), then remove the uploads and results."""
        try:
            self._uvicorn.run(self.app, host=self.host, port=self.port, log_level="warning")
        finally:
            self.app.state.close()


def make_server(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    classifier: str | os.PathLike | None = None,
    genre: bool = True,
    **app_options,
) -> Server:
    """The web page's app, ready to serve.

    Parameters
    ----------
    host, port
        Where to listen.
    classifier : path-like, optional
        Genre classifier (default: the shipped one when installed and ``genre``).
    genre : bool
        Classify the genre at all.
    **app_options
        Other keyword arguments of :func:`mudar.serve.app.create_app` (``media``, ``index``,
        ``checkpoint``, ``dance_method``, ``max_upload_mb``).

    Raises
    ------
    MudarError
        The serve extra is missing (naming its pip command), or bad options.
    """
    uvicorn = require("uvicorn", purpose="mudar serve")  # before the app: names the extra
    from mudar.models.checkpoint import default_classifier_path
    from mudar.serve.app import create_app

    if classifier is None and genre and default_classifier_path().is_file():
        classifier = default_classifier_path()
    app = create_app(classifier=classifier, **app_options)
    return Server(app=app, host=host, port=port, _uvicorn=uvicorn)
