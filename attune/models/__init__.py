"""Offline modelling: datasets, BKT fitting with pyBKT, DKT training and export.

The engine's serving path never imports this package: it depends only on the artifacts it
writes. Only the CLI's offline commands (``attune models ...``, ``attune simulate``) load
it, lazily.
"""
