{#- Carry-forward (marts.md, "Who is counted"): the CTEs `period_end`, `first_reported`, `spine`
    and `sourced` over a CTE `submitted` (submitting_unit_code, month and the `periods` columns,
    e.g. ['reformed'] or ['year_no', 'reformed']). `sourced` has one row per submitting unit and
    month, from the unit's first report in its period to the latest month anyone reported in that
    period, with `source_month`: the latest month up to this one in which the unit reported. -#}
{% macro carry_forward_months(periods) -%}
{%- set p = periods | join(', ') -%}
period_end as (
    select {{ p }}, max(month) as last_month
    from submitted
    group by {{ p }}
),

first_reported as (
    select submitting_unit_code, {{ p }}, min(month) as first_month
    from submitted
    group by submitting_unit_code, {{ p }}
),

spine as (
    select f.submitting_unit_code, {% for c in periods %}f.{{ c }}, {% endfor %}m::date as month
    from first_reported as f
    inner join period_end as e on {% for c in periods %}e.{{ c }} = f.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
    cross join lateral generate_series(f.first_month, e.last_month, interval '1 month') as m
),

sourced as (
    select
        sp.submitting_unit_code,
        sp.month,
        max(s.month) over (
            partition by sp.submitting_unit_code{% for c in periods %}, sp.{{ c }}{% endfor %}
            order by sp.month
        ) as source_month
    from spine as sp
    left join submitted as s
        on s.submitting_unit_code = sp.submitting_unit_code and s.month = sp.month
)
{%- endmacro %}

{#-
  carry_forward_reach(since): the earliest month whose rows a carry-forward from `since` on can
  read: for each submitting unit, the latest month up to `since` in which it reported, in the era of
  `since` (carry-forward never crosses the reform); never later than `since`. A unit that first
  reported after `since` carries forward only from then. An incremental model filters its reported
  rows on it as a literal, so that PostgreSQL reads no earlier month. none when `since` is none.
-#}
{% macro carry_forward_reach(since) %}
    {%- if not execute or since is none -%}
        {{ return(since) }}
    {%- endif -%}
    {%- set sql -%}
        select least(date '{{ since }}', min(u.last_month))::text
        from (
            select submitting_unit_code, max(month) as last_month
            from {{ ref('int_latest_submission') }}
            where month <= date '{{ since }}'
                and {{ is_reformed('month') }} = {{ is_reformed("date '" ~ since ~ "'") }}
            group by submitting_unit_code
        ) as u
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{% endmacro %}
