-- Administrative units, loaded from the `vietnamadminunits` package by `ntm db migrate`
-- (ingest/admin_units.py). Legacy list (63 provinces, with districts) valid until 2025-06-30,
-- the 2025 list (34 provinces, no districts) from 2025-07-01; successor_code maps a legacy
-- commune or province to its 2025 unit.
CREATE TABLE ref.admin_unit (
    unit_code      text NOT NULL,
    unit_name      text NOT NULL,
    unit_level     text NOT NULL CHECK (unit_level IN ('province', 'district', 'commune')),
    unit_type      text,
    parent_code    text,
    province_code  text NOT NULL,
    valid_from     date NOT NULL,
    valid_to       date,                          -- null: still in force
    successor_code text,
    list_name      text NOT NULL CHECK (list_name IN ('legacy', '2025')),
    PRIMARY KEY (unit_code, unit_level, valid_from)
);
CREATE INDEX admin_unit_parent_idx ON ref.admin_unit (parent_code);
