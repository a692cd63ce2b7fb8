"""Platform- and vendor-specific adapters (LMS quirks, LRS clients), kept out of the core.

They depend on the gateway's ports and pure value types only (``gateway.edges``,
``gateway.lrs.client``, ``gateway.lrs.targets``, ``gateway.statements``,
``gateway.lti.claims``); the gateway never imports them. :func:`integrations.edges.gateway_edges`
is what a composition root hands to :func:`gateway.app.build_gateway`.
"""
