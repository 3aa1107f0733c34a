{#-
  Data tests of an incremental build check what the build rebuilt.

  dbt wraps the model of every generic data test in get_where_subquery (where its `where` config
  applies). This override adds, for the incremental month-keyed models (materialized incremental,
  with a documented `month` column), the months the model rebuilt in this invocation, as its
  pre-hook recorded them in meta.dbt_rebuilt (macros/incremental_months.sql, record_rebuilt):
  a full refresh or first build checks every month; an incremental build the months from the first
  one it rebuilt (the earlier months were checked by the build that wrote them and are unchanged);
  a model with no record for this invocation (not built by it) is checked whole. Every uniqueness
  test of these models includes `month`, so no duplicate can hide across the window.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}{%- do conditions.append(where) -%}{%- endif -%}
    {%- set window = rebuilt_window(relation.identifier) -%}
    {%- if window -%}{%- do conditions.append(window) -%}{%- endif -%}
    {%- if conditions | length > 0 -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The condition on `month` that keeps the rows `model_name` rebuilt in this invocation, or none
    when the model is not an incremental month-keyed model, or was not built by this invocation
    (then its tests check every row). Read when the test is compiled, right before it runs (after
    its model), and written as a literal: with a subquery PostgreSQL planned for an unknown month
    and scanned the whole table (17 M rows of fct_commune_criteria at ten years, 2-3 s per test). -#}
{% macro rebuilt_window(model_name, column='month') %}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if not node or node.config.materialized != 'incremental' or 'month' not in node.columns -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query("select rebuilt_from::text from meta.dbt_rebuilt where invocation_id = '"
                             ~ invocation_id ~ "' and model = '" ~ model_name ~ "'") -%}
    {%- set first = rows.columns[0].values()[0] if rows.rows | length > 0 else none -%}
    {%- if first is none or first == '-infinity' -%}
        {{ return(none) }}
    {%- elif first == 'infinity' -%}
        {{ return('false') }}
    {%- endif -%}
    {{ return(column ~ " >= date '" ~ first ~ "'") }}
{% endmacro %}
