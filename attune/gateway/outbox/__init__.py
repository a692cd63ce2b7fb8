"""One durable, leased, retried queue with dead letters, for the grade outbox and the
statement outbox alike: the port (:mod:`gateway.outbox.ports`), its SQLite adapter for the
embedded file and its Redis adapter for several gateways (Redis or Redis Cluster)."""
