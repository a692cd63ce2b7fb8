"""The pure core: BKT, the skill graph, mastery rules and item selection.

Nothing in this package does I/O or imports grpc, redis, onnxruntime or structlog.
"""
