"""Self-supervised training of MuDaR: data, model and loss assembled, Lightning runs it.

Lightning is the optional ``train`` extra: importing this package without it is one clear error
(:class:`mudar.optional.MissingDependency`), not a traceback.
"""

from mudar.optional import require

require("lightning", purpose="training")
