"""Warehouse: the dbt build into the build schema, reconciliation of raw against the marts, and
the publication of the marts to BI users."""
