"""A whole tenant's records in one store, read or dropped (issue 16 part 6), and the export's
files: shared by ``attune tenant`` (the command), the engine's TenantService and the gateway's
admin routes. Pure of any deployable: each function is given its store (a SQLite file's path,
a Redis client)."""
