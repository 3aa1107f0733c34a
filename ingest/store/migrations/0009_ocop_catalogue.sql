-- The OCOP catalogue under which each product was rated (domain.md, OCOP): '148' (Decision
-- 148/QĐ-TTg, from 2023-02-24) or '1048' (Decision 1048/QĐ-TTg, 2019-2023). The reader gives it
-- (a group named by a name of one catalogue only fixes it; a bare code or a shared name takes the
-- catalogue in force on the decision date). Rows loaded before this column existed get the date
-- rule (ingest/rules.py): 1048 when decided before 2023-02-24, else 148 (also while preparing or
-- without a decision date). Null is allowed for rows written without it; dbt applies the same rule.
ALTER TABLE raw.ocop ADD COLUMN catalogue text;

UPDATE raw.ocop
SET catalogue = CASE
    WHEN status = 'preparing' OR decision_date IS NULL OR decision_date >= DATE '2023-02-24' THEN '148'
    ELSE '1048'
END;

ALTER TABLE raw.ocop ADD CONSTRAINT ocop_catalogue_known CHECK (catalogue IN ('148', '1048'));

COMMENT ON COLUMN raw.ocop.catalogue IS
    'OCOP catalogue of the product group: 148 (Decision 148/QĐ-TTg, 2023-) or 1048 (Decision 1048/QĐ-TTg, 2019-2023)';
