"""PyTorch models of MuDaR (paper sec. 3). Models never touch files: they take tensors."""
