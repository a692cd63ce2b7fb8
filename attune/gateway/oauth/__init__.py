"""The gateway's OAuth 2.0 authorization server for partner apps (issue 16 part 1): per-tenant
clients, the client-credentials grant (RFC 6749 §4.4) with ``client_secret_basic``,
``client_secret_post`` or ``private_key_jwt`` (RFC 7523 §2.2) client authentication, and JWT
access tokens (RFC 9068) signed with the tool's rotating keys, which the engine verifies."""
