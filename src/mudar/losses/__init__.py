"""Losses of MuDaR (paper sec. 3.3) as ``nn.Module``s that can return their parts."""
