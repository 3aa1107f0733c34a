{#-
  table_index(suffix, columns, where): the post-hook that gives the model's table its index
  `<table>_<suffix>` on `columns` (partial when `where` is given), once: a later build finds it by
  name and creates nothing (the pipeline's copy into marts_build keeps the names, migration 0016).

  A full refresh (or the first build of a model whose table exists) builds a new table and swaps it
  in, and dbt drops the table it replaced only after the post-hooks; until then that table, renamed
  to a backup, still holds the index name, and `create index if not exists` created nothing on the
  new one. So an index of that name held by another table is dropped first (its table is dropped
  right after, in the same build): without its index an incremental model's next build read every
  row once per built month (macros/incremental_months.sql, months_to_rebuild).
-#}
{% macro table_index(suffix, columns, where=none) -%}
{%- set name = this.identifier ~ '_' ~ suffix -%}
do $ntm$
begin
    if exists (
        select 1
        from pg_index as i
        inner join pg_class as x on x.oid = i.indexrelid
        inner join pg_namespace as n on n.oid = x.relnamespace
        inner join pg_class as t on t.oid = i.indrelid
        where n.nspname = '{{ this.schema }}' and x.relname = '{{ name }}' and t.relname <> '{{ this.identifier }}'
    ) then
        execute format('drop index %I.%I', '{{ this.schema }}', '{{ name }}');
    end if;
end
$ntm$;
create index if not exists {{ name }} on {{ this }} ({{ columns }}){% if where %} where {{ where }}{% endif %}
{%- endmacro %}
