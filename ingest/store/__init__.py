"""Store: every statement on the `raw`, `audit`, `ref` and `meta` schemas, the migrations that
create them, connections, advisory locks, and the private PostgreSQL cluster used when no
database URL is configured."""
