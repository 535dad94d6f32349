"""Interpretable directions in artificial and biological neural responses.

A library behind the Snakemake workflow that reproduces Klindt et al. (2023),
"Identifying Interpretable Visual Features in Artificial and Biological Neural
Systems": image pools, activations, direction discovery, the Interpretability
Index (II), in-silico psychophysics, a planted-superposition brain population and
the figures.
"""

__version__ = "0.1.0"
