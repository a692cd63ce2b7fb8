"""Deep Knowledge Tracing: train an LSTM on response sequences, export it as a single ONNX
step (the contract in :mod:`engine.dkt.manifest`), and evaluate it against BKT.

Importing this package is cheap: torch is imported only by the modules that need it, and the
CLI (:mod:`models.dkt.cli`) imports those lazily.
"""
