"""The gRPC transport: converters, servicers, interceptors and the server."""
