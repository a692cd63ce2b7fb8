"""Load benchmark of the engine's gRPC API (``python -m bench.load``, ``make bench``).

The engine runs as a child process; this process drives it over loopback with grpc.aio
and reports throughput and latency of RecordResponse and StreamResponses next to a ceiling
measured on the same server in the same run (a health check, a rejected stream message).
Timings are reported, never asserted: a benchmark is not a test.
"""
