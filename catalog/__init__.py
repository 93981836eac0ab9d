"""The catalog: records into a durable database, the database into the exchange and exports."""
