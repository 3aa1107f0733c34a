{#-
  Data tests of an incremental build check what the build rebuilt.

  dbt wraps the model of every generic data test in get_where_subquery (where its `where` config
  applies). This override adds, for the incremental month-keyed models (materialized incremental,
  with a documented `month` column), the months the model rebuilt in this invocation, as its
  pre-hook recorded them in meta.dbt_rebuilt (macros/incremental_months.sql, record_rebuilt):
  a full refresh or first build checks every month; an incremental build the months from the first
  one it rebuilt (the earlier months were checked by the build that wrote them and are unchanged);
  a model with no record for this invocation (not built by it) is checked whole. Every uniqueness
  test of these models includes `month`, so no duplicate can hide across the window. The views
  with a `month` column are checked likewise from the first month whose inputs changed (below).
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

{#- The condition on `month` that keeps the rows of `model_name` this invocation made new, or none
    when every row is to be checked (then its tests check every row):
    - an incremental month-keyed model: the months it rebuilt, as its pre-hook recorded them; none
      when it was not built by this invocation;
    - a view with a `month` column: the months from the first one whose submissions in force
      changed since the last build, as int_latest_submission's post-hook recorded it
      (record_changed_inputs, below). A view's rows of a month are computed from the submissions in
      force that month and earlier ones (carry-forward), never later ones, and the earlier months'
      rows were checked by the build that published them (the pipeline publishes only a build
      whose every test passed). Every uniqueness test of these views includes `month` or the
      submission, which belongs to one month, so no duplicate can hide across the window. At ten
      years of national history the four keys of the commune views took ~10 s of a one-month
      build; windowed, each reads a month.
    Read when the test is compiled, right before it runs (after its model), and written as a
    literal: with a subquery PostgreSQL planned for an unknown month and scanned the whole table
    (17 M rows of fct_commune_criteria at ten years, 2-3 s per test). -#}
{% macro rebuilt_window(model_name, column='month') %}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if not node or 'month' not in node.columns -%}
        {{ return(none) }}
    {%- elif node.config.materialized == 'incremental' -%}
        {%- set key = model_name -%}
    {%- elif node.config.materialized == 'view' -%}
        {%- set key = changed_inputs_key() -%}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set rows = run_query("select rebuilt_from::text from meta.dbt_rebuilt where invocation_id = '"
                             ~ invocation_id ~ "' and model = '" ~ key ~ "'") -%}
    {%- set first = rows.columns[0].values()[0] if rows.rows | length > 0 else none -%}
    {%- if first is none or first == '-infinity' -%}
        {{ return(none) }}
    {%- elif first == 'infinity' -%}
        {{ return('false') }}
    {%- endif -%}
    {{ return(column ~ " >= date '" ~ first ~ "'") }}
{% endmacro %}

{#- The row of meta.dbt_rebuilt that holds, for the views, the first month whose inputs changed -#}
{% macro changed_inputs_key() %}{{ return('(views: inputs changed)') }}{% endmacro %}

{#- post-hook of int_latest_submission (the submissions in force this build reads): an incremental
    build (`dbt build` or `dbt run` without --full-refresh) records the first month whose
    submissions in force differ from those of the last build (first_changed_month: every month
    when there is no record of it, or the reference list changed; 'infinity' when nothing
    changed). Any other invocation (`dbt test`, a full refresh, a selection without
    int_latest_submission) records nothing, and the views' tests check every row. Recorded from the
    table this build just made, not before the build: a load committed in between is in that
    table and in the months the views' tests check. -#}
{% macro record_changed_inputs(latest) %}
    {%- if execute and flags.WHICH in ('build', 'run') and not flags.FULL_REFRESH -%}
        {%- set first = first_changed_month(latest) -%}
        {%- set first = 'infinity' if first is none else ('-infinity' if first == '0001-01-01' else first) -%}
insert into meta.dbt_rebuilt (invocation_id, model, rebuilt_from)
values ('{{ invocation_id }}', '{{ changed_inputs_key() }}', date '{{ first }}')
on conflict (invocation_id, model) do nothing
    {%- else -%}
select 1
    {%- endif -%}
{% endmacro %}
