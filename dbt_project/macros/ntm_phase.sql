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

{#- true in a full build; the months of the phase of `since` from its first January on (or nothing)
    in an incremental one: what a model whose figures add up over the phase must read to rebuild
    the months from `since` on -#}
{% macro phase_filter(column, since) %}
{%- if not is_incremental() -%}
true
{%- elif since is none -%}
false
{%- else -%}
{{ column }} >= make_date({{ ntm_phase_first_year("date '" ~ since ~ "'") }}, 1, 1)
{%- endif -%}
{% endmacro %}
