"""Self-supervised training of MuDaR: data, model and loss assembled, Lightning runs it."""
