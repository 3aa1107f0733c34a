{#- The programme phase of a month (domain.md, "Phases"): 2010-2015, 2016-2020, 2021-2025, and
    five-year phases after that. -#}
{% macro ntm_phase(month_expr) -%}
(case
    when extract(year from {{ month_expr }}) <= 2015 then '2010-2015'
    when extract(year from {{ month_expr }}) <= 2020 then '2016-2020'
    when extract(year from {{ month_expr }}) <= 2025 then '2021-2025'
    else (2026 + 5 * floor((extract(year from {{ month_expr }}) - 2026) / 5))::integer::text
        || '-' || (2030 + 5 * floor((extract(year from {{ month_expr }}) - 2026) / 5))::integer::text
end)
{%- endmacro %}
