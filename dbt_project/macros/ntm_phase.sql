{#- The programme phase of a month (domain.md, "Phases"): 2010-2015, 2016-2020, 2021-2025, and
    five-year phases after that. ntm_phase_first_year is the phase's first year, the one place its
    boundaries are written. -#}
{% macro ntm_phase_first_year(month_expr) -%}
(case
    when extract(year from {{ month_expr }}) <= 2015 then 2010
    when extract(year from {{ month_expr }}) <= 2020 then 2016
    when extract(year from {{ month_expr }}) <= 2025 then 2021
    else (2026 + 5 * floor((extract(year from {{ month_expr }}) - 2026) / 5))::integer
end)
{%- endmacro %}

{% macro ntm_phase(month_expr) -%}
{%- set first = ntm_phase_first_year(month_expr) -%}
(case when {{ first }} = 2010 then '2010-2015' else {{ first }}::text || '-' || ({{ first }} + 4)::text end)
{%- endmacro %}

{#-
  phase_reads(column, year_column, since, relation): the rows a model whose figures add up over the phase (year
  to date, and the year-end figures of the phase's earlier years) must read to rebuild the months
  from `since` on: `true` in a full build, `false` when nothing changed, else every month of the year
  of `since` on and the last month of each earlier year of its phase in `relation` (keyed by
  year_no and month; a carried-forward series reaches the last month anyone reported in its year
  and era, so that month holds every unit's year-end figures). The year ends are read when the
  model is compiled and written as literals, with their years, so that PostgreSQL reads those
  months through the relation's (year_no, month) index, not the whole table.
-#}
{% macro phase_reads(column, year_column, since, relation) %}
{%- if not is_incremental() -%}
true
{%- elif since is none -%}
false
{%- else -%}
    {%- set year_ends = [] -%}
    {%- if execute -%}
        {%- set sql -%}
            select distinct e.month::text, extract(year from e.month)::integer
            from generate_series({{ ntm_phase_first_year("date '" ~ since ~ "'") }},
                                 extract(year from date '{{ since }}')::integer - 1) as y
            cross join lateral (
                select max(month) as month from {{ relation }} where year_no = y
                union all
                select max(month) from {{ relation }} where year_no = y and not {{ is_reformed('month') }}
            ) as e
            where e.month is not null
            order by 1
        {%- endset -%}
        {%- set rows = run_query(sql) -%}
        {%- set year_ends = rows.columns[0].values() | list -%}
        {%- set years = rows.columns[1].values() | unique | list -%}
    {%- endif -%}
({{ year_column }} >= {{ since[:4] }} and {{ column }} >= date '{{ since[:4] }}-01-01'
{%- if year_ends %}
    or {{ year_column }} in ({{ years | join(', ') }}) and {{ column }} in ({{ month_list(year_ends) }})
{%- endif %})
{%- endif -%}
{% endmacro %}
