{#-
  fresh_statistics(): the post-hook that analyzes the model's table when what this build wrote
  could have moved its statistics: a first build or a full refresh (a new table has none), or an
  incremental build that inserted more than a tenth of the rows the table had when last analyzed
  (autovacuum's own threshold; the rows of this transaction are read from
  pg_stat_xact_user_tables, which counts them before the commit). One month more at ten years
  inserts 5 % of a funding table: the analyze (0.65 s per table, a random sample of 30,000 rows)
  is left to autovacuum. Statistics only steer plans, never results; PostgreSQL estimates a month
  past the histogram's end from the index's actual end.
-#}
{% macro fresh_statistics() -%}
do $ntm$
begin
    if not {{ is_incremental() }} or (
        select coalesce(x.n_tup_ins, 0) > 0.1 * greatest(c.reltuples, 0)
        from pg_class as c
        left join pg_stat_xact_user_tables as x on x.relid = c.oid
        where c.oid = '{{ this }}'::regclass
    ) then
        analyze {{ this }};
    end if;
end
$ntm$
{%- endmacro %}
