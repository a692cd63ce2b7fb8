"""Offline modelling: datasets, BKT fitting with pyBKT, DKT training and export.

The engine never imports this package; it depends only on the artifacts it writes.
"""
