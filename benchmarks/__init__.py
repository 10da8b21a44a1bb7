"""The asv (airspeed velocity) suite: thin classes over nets/, baselines/ and backprop_bench/.

Run ``asv machine --yes && asv run`` from the repository root (asv.conf.json), then
``backprop-bench report`` to turn the results into results/benchmarks/. ``common`` holds the
shared settings; each other module benchmarks one thing: gradient routines, training, the
baselines, the roofline ratio and the training-time ratio against scikit-learn's MLP.
"""
