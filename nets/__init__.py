"""nets: a from-scratch NumPy backpropagation network. Imports numpy only."""
