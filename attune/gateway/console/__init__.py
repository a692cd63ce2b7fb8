"""The admin console (issue 16 part 5): server-rendered pages for a tenant's administrators
at ``/console/<tenant>/...``, over the same stores as the JSON admin API. See
:func:`attune.gateway.console.blueprint.install_console`."""
