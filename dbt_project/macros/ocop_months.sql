{#-
  The months fct_ocop_product rebuilds in an incremental build: those months_to_rebuild finds,
  or every month when the target predates the catalogue / recognised_by columns (or holds rows
  without a catalogue), so that a warehouse built before them converges without a manual
  --full-refresh (the new not-null tests would otherwise fail on its earlier months).
-#}
{% macro ocop_months_to_rebuild() %}
    {%- set months = months_to_rebuild(ref('stg_raw__ocop')) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(months) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- set stale = 'catalogue' not in names or 'recognised_by' not in names -%}
    {%- if not stale -%}
        {%- set stale = run_query('select exists (select 1 from ' ~ this ~ ' where catalogue is null)').columns[0].values()[0] -%}
    {%- endif -%}
    {%- if stale -%}
        {%- set rows = run_query('select month from ' ~ this ~ ' union select month from '
                                 ~ ref('int_latest_submission') ~ ' order by 1') -%}
        {%- set months = rows.columns[0].values() | map('string') | list -%}
    {%- endif -%}
    {{ return(months) }}
{% endmacro %}
