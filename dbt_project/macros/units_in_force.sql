{#- Administrative units are identified by their code AND the list in force on a date: the same
    code names different units before and after the 1 July 2025 reform (a code freed by a merger
    was reused), and an imported list of earlier years gives other intervals. Every join of a
    code to stg_ref__admin_unit goes through this predicate, evaluated on the last day of the
    month (domain.md, "Administrative units"). -#}
{% macro in_force(unit_alias, month_expr) -%}
{{ in_force_on(unit_alias, month_end(month_expr)) }}
{%- endmacro %}

{#- The reference row `unit_alias` is in force on the day `day_expr` (code AND interval). -#}
{% macro in_force_on(unit_alias, day_expr) -%}
({{ unit_alias }}.valid_from <= {{ day_expr }}
    and ({{ unit_alias }}.valid_to is null or {{ unit_alias }}.valid_to >= {{ day_expr }}))
{%- endmacro %}

{#- The last day of the month that starts on `month_expr`. -#}
{% macro month_end(month_expr) -%}
(({{ month_expr }}) + interval '1 month' - interval '1 day')::date
{%- endmacro %}

{#- True for months under the 2025 list (no district level). -#}
{% macro is_reformed(month_expr) -%}
(({{ month_expr }}) >= date '{{ var("reorganisation_date") }}')
{%- endmacro %}

{#- Only xã take part in NTM: wards (phường), townships (thị trấn) and special zones (đặc khu)
    are never counted (domain.md, "Who takes part"). -#}
{% macro is_xa(unit_alias) -%}
({{ unit_alias }}.unit_level = 'commune' and {{ unit_alias }}.unit_type = 'Xã')
{%- endmacro %}
