"""Attune: an adaptive learning engine (attune.engine) and its integration gateway
(attune.gateway). This package is the one import namespace of the distribution."""
