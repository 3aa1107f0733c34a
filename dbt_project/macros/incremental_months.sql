{#-
  Month-keyed incremental facts. Before an incremental build this pre-hook deletes from the
  target every month whose set of submissions differs from the set in force upstream (a new
  month, a version-2 correction of an old month, a month whose rows disappeared). The model then
  inserts the months that are absent from the target. Comparing submission ids, not timestamps,
  makes the rebuild exact and independent of clocks and of how long ago the last build ran.
  With extend_to_year_end, a changed month also rebuilds the later months of its year (their
  increments depend on it: fct_funding).
-#}
{% macro delete_changed_months(upstream, extend_to_year_end=false) %}
{%- if is_incremental() -%}
with expected as (
    select distinct month, submission_id from {{ upstream }}
),
built as (
    select distinct month, submission_id from {{ this }}
),
changed as (
    select coalesce(e.month, b.month) as month
    from expected as e
    full outer join built as b on b.month = e.month and b.submission_id = e.submission_id
    where e.submission_id is null or b.submission_id is null
)
{%- if extend_to_year_end %},
first_changed as (
    select date_trunc('year', month) as year_start, min(month) as first_month
    from changed
    group by 1
)
delete from {{ this }} as t
using first_changed as f
where date_trunc('year', t.month) = f.year_start and t.month >= f.first_month
{%- else %}
delete from {{ this }}
where month in (select month from changed)
{%- endif -%}
{%- else -%}
select 1
{%- endif -%}
{% endmacro %}

{#- In an incremental build, keep only the months absent from the target (see above). -#}
{% macro months_absent_from_target(month_column='month') %}
{%- if is_incremental() -%}
not exists (select 1 from {{ this }} as built where built.month = {{ month_column }})
{%- else -%}
true
{%- endif -%}
{% endmacro %}

{% macro month_index() %}
create index if not exists {{ this.identifier }}_month_idx on {{ this }} (month, submission_id)
{% endmacro %}
