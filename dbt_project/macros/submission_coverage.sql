{# Helpers of mart_submission_coverage (named for it, so as not to collide with other macros). #}

{% macro coverage_deadline(month) -%}
    {#- the last on-time day for `month`: day `submission_deadline_day` of the following month -#}
    ({{ month }} + interval '1 month' + ({{ var('submission_deadline_day') }} - 1) * interval '1 day')::date
{%- endmacro %}
