{#-
  The roll-up of the marts (marts.md): rows of communes (or of products, funding series...) that
  carry province_code, district_code and, with_commune, commune_code, aggregated to every unit
  level at once with `group by grouping sets`, one row per unit and `keys` (e.g. month):

      {% call rollup_by_unit('known', keys=['month']) %}
          count(*) as communes_total
      {% endcall %}

  selects keys, unit_level, unit_code, province_code and the aggregates of the call block (none
  is fine). A grouping without a unit (the district level of months without districts, from
  2025-07) gives no row.
-#}
{% macro rollup_by_unit(relation, keys=['month'], with_commune=true) -%}
{%- set aggregates = caller() | trim -%}
{%- set k = keys | join(', ') ~ ', ' -%}
select * from (
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        {{ rollup_unit(with_commune) | indent(8) }},
        province_code
        {%- if aggregates %},
        {{ aggregates }}
        {%- endif %}
    from {{ relation }}
    group by grouping sets (
        {%- if with_commune %}
        ({{ k }}province_code, district_code, commune_code),
        {%- endif %}
        ({{ k }}province_code, district_code),
        ({{ k }}province_code)
    )
) as rolled
where unit_code is not null
{%- endmacro %}

{#- The level and code of a row of `group by grouping sets` over (province, district[, commune]). -#}
{% macro rollup_unit(with_commune=true) -%}
case
    {%- if with_commune %}
    when grouping(commune_code) = 0 then 'commune'
    {%- endif %}
    when grouping(district_code) = 0 then 'district'
    else 'province'
end as unit_level,
case
    {%- if with_commune %}
    when grouping(commune_code) = 0 then commune_code
    {%- endif %}
    when grouping(district_code) = 0 then district_code
    else province_code
end as unit_code
{%- endmacro %}

{#- The unit a rolled-up row names, as in force at the end of its month (the same code may name
    another unit in the other list): `left join` of stg_ref__admin_unit as `unit_alias`. -#}
{% macro join_unit_in_force(row_alias, unit_alias='u') -%}
left join {{ ref('stg_ref__admin_unit') }} as {{ unit_alias }}
    on {{ unit_alias }}.unit_code = {{ row_alias }}.unit_code
    and {{ unit_alias }}.unit_level = {{ row_alias }}.unit_level
    and {{ in_force(unit_alias, row_alias ~ '.month') }}
{%- endmacro %}
