-- Official lists of administrative units of earlier years, imported with
-- `ntm reference import-units FILE` (ingest/admin_units.py). The package's legacy list is a
-- snapshot of 2025-06-30; a 2017 submission may name a xã merged away in 2019, known only from
-- the list of that period.
--
-- ref.admin_unit_import keeps every imported row as imported (with the file and line it came
-- from). ref.admin_unit stays derived from the package lists plus these rows: an imported row
-- ending before the snapshot day is a unit of its own (list_name 'imported'); one still in force
-- on the snapshot day only sets the snapshot row's valid_from. Reloading the package lists
-- re-applies the imports, so they are never lost.
ALTER TABLE ref.admin_unit DROP CONSTRAINT admin_unit_list_name_check;
ALTER TABLE ref.admin_unit ADD CONSTRAINT admin_unit_list_name_check
    CHECK (list_name IN ('legacy', '2025', 'imported'));
ALTER TABLE ref.admin_unit ADD CONSTRAINT admin_unit_interval_check
    CHECK (valid_to IS NULL OR valid_to >= valid_from);

CREATE TABLE ref.admin_unit_import (
    unit_code    text NOT NULL,
    unit_level   text NOT NULL CHECK (unit_level IN ('province', 'district', 'commune')),
    unit_name    text NOT NULL,
    unit_type    text NOT NULL,
    parent_code  text,
    valid_from   date NOT NULL,
    valid_to     date,                             -- null: still in force
    source_file  text NOT NULL,                    -- the imported file's name
    source_line  integer NOT NULL,                 -- its line in that file
    imported_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, unit_level, valid_from),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON ref.admin_unit_import TO ntm_loader;
GRANT SELECT ON ref.admin_unit_import TO ntm_transformer;
