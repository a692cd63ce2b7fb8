"""Deep Knowledge Tracing at serving time: the artifact contract and the ONNX tracer."""
