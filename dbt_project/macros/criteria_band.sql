{#- The band of a commune by number of criteria met: 19, 15-18, 10-14, 5-9, <5. -#}
{% macro criteria_band(met) -%}
case
    when {{ met }} >= 19 then '19'
    when {{ met }} >= 15 then '15-18'
    when {{ met }} >= 10 then '10-14'
    when {{ met }} >= 5 then '5-9'
    else '<5'
end
{%- endmacro %}
