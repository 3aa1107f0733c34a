"""The submission contract (../shared/spec/submission-format.md) as code, the one description
every layer derives from: the reader, the normalisers, the Great Expectations rules, the
loader's COPY columns, the template, the generator, the bulletin, the DAGs' Assets and the dbt
seeds (`python -m ingest.contract write-seeds`).

- `sheets`: sheets, their columns with Vietnamese labels, the frames / raw tables and dtypes.
- `codes`: code lists (funding sources, capital types, titles, OCOP catalogues and groups,
  statuses, entity types, hardship, marks, stars) with their labels.
- `criteria`: the commune and district criteria of both criteria sets.

Standard library only: the DAG files import it on every parse.
"""

from ingest.contract.codes import (
    CAPITAL_TYPES,
    CATALOGUE_FROM,
    CATALOGUES,
    ENTITY_TYPES,
    FUNDING_SOURCES,
    GROUPS_148,
    GROUPS_1048,
    HARDSHIP,
    INDICATORS,
    MARK_MET,
    MARK_NOT_MET,
    OCOP_CATALOGUES,
    PLAN_INDICATORS,
    PLAN_REGISTRATIONS,
    PLAN_TARGETS,
    SOURCES,
    STARS,
    STATUSES,
    TITLE_LEVELS,
    TITLES,
    TOTAL_SOURCE,
    FundingSource,
    OcopCatalogue,
    OcopGroup,
    PlanIndicator,
    TitleLevel,
)
from ingest.contract.criteria import (
    ALL_CRITERIA,
    CRITERIA,
    CRITERIA_NAMES,
    CRITERIA_NAMES_2021,
    CRITERIA_SETS,
    DISTRICT_CRITERIA,
    Criterion,
)
from ingest.contract.sheets import (
    FRAME_COLUMNS,
    HO_TRO,
    IGNORED_SHEETS,
    KE_HOACH,
    KIEU_MAU,
    NGUON_VON,
    OCOP,
    RAW_COLUMNS,
    RAW_TABLES,
    REQUIRED_SHEETS,
    SHEET_NAMES,
    SHEETS,
    THONG_TIN,
    THONG_TIN_HEADER,
    TIEU_CHI_HUYEN,
    TIEU_CHI_XA,
)

__all__ = [
    "ALL_CRITERIA", "CAPITAL_TYPES", "CATALOGUES", "CATALOGUE_FROM", "CRITERIA", "CRITERIA_NAMES",
    "CRITERIA_NAMES_2021", "CRITERIA_SETS", "DISTRICT_CRITERIA", "ENTITY_TYPES", "FRAME_COLUMNS",
    "FUNDING_SOURCES", "GROUPS_148", "GROUPS_1048", "HARDSHIP", "HO_TRO", "IGNORED_SHEETS", "MARK_MET",
    "MARK_NOT_MET", "NGUON_VON", "OCOP", "OCOP_CATALOGUES", "RAW_COLUMNS", "RAW_TABLES", "REQUIRED_SHEETS",
    "SHEETS", "SHEET_NAMES", "SOURCES", "STARS", "STATUSES", "THONG_TIN", "THONG_TIN_HEADER", "TIEU_CHI_HUYEN",
    "TIEU_CHI_XA", "TITLES", "TITLE_LEVELS", "TOTAL_SOURCE", "Criterion", "FundingSource", "OcopCatalogue",
    "OcopGroup", "TitleLevel",
    "INDICATORS", "KE_HOACH", "KIEU_MAU", "PLAN_INDICATORS", "PLAN_REGISTRATIONS", "PLAN_TARGETS", "PlanIndicator",
]
