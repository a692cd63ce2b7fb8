"""The integration gateway: LTI 1.3, SSO, grade passback, xAPI/Caliper (issues 6 and 7).

It talks to the engine only through the public gRPC contract (``attune.engine.v1``).
"""
