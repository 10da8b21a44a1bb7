"""baselines: scikit-learn (and optional PyTorch) models configured to mirror the network."""
