"""Staff sign-in (issue 16 part 2): OIDC (authlib's client) and SAML 2.0 (pysaml2) against
each tenant's allowed identity providers, attribute mapping to Attune's roles, and
server-side staff sessions behind a ``Secure; HttpOnly; SameSite=Lax`` cookie.

The LMS iframe keeps its URL-token sessions (:mod:`attune.gateway.sessions`); nothing here
touches them. :class:`~attune.gateway.sso.principal.Principal` is what other parts (RBAC,
the admin console) consume.
"""
