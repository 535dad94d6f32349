"""One function per workflow step: read inputs, call the science, write outputs.

The science modules are pure; this package is the I/O edge the thin scripts in
``scripts/`` call, one module per stage (``images``, ``responses``, ``directions``,
``scoring``, ``imi``, ``figures``, ``analyses``) and the edges they share (``io``).
Every output carries its provenance.
"""
