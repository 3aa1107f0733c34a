{#-
  Month-keyed incremental facts.

  months_to_rebuild(raw_relation): in an incremental build, the months whose set of submissions
  in force (int_latest_submission, restricted to submissions with rows in raw_relation) differs
  from the set of submission ids in the target: a new month, a version-2 correction of an old
  month, a month whose rows disappeared. Comparing submission ids, not timestamps, makes the
  rebuild exact and independent of clocks and of when the last build ran. With
  extend_to_year_end, a changed month also brings the later months of its year (their funding
  increments depend on it). Returns a list of 'YYYY-MM-DD' strings (empty when not incremental).

  The model deletes those months in a pre-hook (delete_months) and selects exactly those months
  (month_filter), as literals, so PostgreSQL pushes the filter down into the views.

  The submissions in force and the built ones are matched first; only a submission in force that
  the target lacks is looked up in raw_relation (one probe each: the new month's, not the 76,000
  of ten years, 0.4-0.9 s a model). A built submission still in force is taken to have rows
  there: the loader writes a submission's rows once, in the transaction that accepts it, and no
  path deletes them while it is in force.
-#}
{% macro months_to_rebuild(raw_relation, extend_to_year_end=false, built_filter='true') %}
    {%- set latest = ref('int_latest_submission') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return([]) }}
    {%- endif -%}
    {#- every model that calls this carries the (month, submission_id) index of its built rows
        (month_index(built_filter): the facts of marts/incremental by their folder's post-hook, the
        other models in their own config) and a not-null submission_id on them: the built pairs are
        read by a loose index scan, one probe per pair instead of every row (17 M rows of
        fct_commune_criteria at ten years). Without the index (a table fully refreshed by the code
        before 2026-12-07, which lost it) the scan would read the table once per pair, so the
        pairs are then read by one pass, and the post-hook creates the index. -#}
    {%- set index_sql -%}
        select exists (
            select 1 from pg_indexes
            where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}'
                and indexdef like '%(month, submission_id)%'
        )
    {%- endset -%}
    {%- set indexed = run_query(index_sql).columns[0].values()[0] -%}
    {%- set sql -%}
        with recursive in_force as (
            select l.month, l.submission_id from {{ latest }} as l
        ),
        built as (
        {%- if indexed %}
            (select month, submission_id from {{ this }} where {{ built_filter }}
             order by month, submission_id limit 1)
            union all
            select n.month, n.submission_id
            from built as p
            cross join lateral (
                select t.month, t.submission_id
                from {{ this }} as t
                where (t.month, t.submission_id) > (p.month, p.submission_id) and {{ built_filter }}
                order by t.month, t.submission_id
                limit 1
            ) as n
        {%- else %}
            select distinct month, submission_id from {{ this }} where {{ built_filter }}
        {%- endif %}
        ),
        unmatched as (
            select coalesce(e.month, b.month) as month, e.submission_id as unbuilt_id
            from in_force as e
            full outer join built as b on b.month = e.month and b.submission_id = e.submission_id
            where e.submission_id is null or b.submission_id is null
        ),
        changed as (
            select distinct u.month
            from unmatched as u
            where u.unbuilt_id is null    -- built from a submission no longer in force
                or exists (select 1 from {{ raw_relation }} as r where r.submission_id = u.unbuilt_id)
        )
        {%- if extend_to_year_end %},
        first_changed as (
            select extract(year from month) as year_no, min(month) as first_month from changed group by 1
        ),
        candidates as (
            select month from in_force union select month from built
        )
        select distinct c.month
        from candidates as c
        inner join first_changed as f on f.year_no = extract(year from c.month) and c.month >= f.first_month
        {%- else %}
        select month from changed
        {%- endif %}
        order by 1
    {%- endset -%}
    {%- if reference_changed(latest) -%}
        {%- set sql -%}
            select month from {{ latest }} union select month from {{ this }} order by 1
        {%- endset -%}
    {%- endif -%}
    {%- set rows = run_query(sql) -%}
    {{ return(rows.columns[0].values() | map('string') | list) }}
{% endmacro %}

{#-
  Year tails: models whose figures run from 1 January (cumulative funding) rebuild, in each year
  with a changed month, the months from a start month to the year's end, and read that whole year
  (the earlier months give the later ones their previous figures). A plan is one start month per
  year ('YYYY-MM-DD'); a full build has no plan and rebuilds everything.

  year_tails(months): the first of the given months in each year.
-#}
{% macro year_tails(months) %}
    {%- set starts = [] -%}
    {%- set years = [] -%}
    {%- for m in months | sort -%}
        {%- if m[:4] not in years %}{% do years.append(m[:4]) %}{% do starts.append(m) %}{% endif -%}
    {%- endfor -%}
    {{ return(starts) }}
{% endmacro %}

{#- the years of a plan of year tails -#}
{% macro tail_years(starts) %}
    {%- set years = [] -%}
    {%- for m in starts %}{% do years.append(m[:4] | int) %}{% endfor -%}
    {{ return(years) }}
{% endmacro %}

{#- the pre-hook of a year-tail model: delete the planned tails and record what is rebuilt -#}
{% macro delete_year_tails(starts) %}
{%- if is_incremental() and starts | length > 0 -%}
delete from {{ this }} where {{ tail_filter('month', starts) }};
{{ record_rebuilt(starts | min) }}
{%- else -%}
{{ record_rebuilt(none if is_incremental() else '-infinity') }}
{%- endif -%}
{% endmacro %}

{#- the rows of the planned tails: true in a full build, false when nothing is planned -#}
{% macro tail_filter(column, starts) %}
{%- if not is_incremental() -%}
true
{%- elif starts | length == 0 -%}
false
{%- else -%}
({% for s in starts %}{{ column }} between date '{{ s }}' and date '{{ s[:4] }}-12-31'{{ ' or ' if not loop.last }}{% endfor %})
{%- endif -%}
{% endmacro %}

{#- true in a full build; the months of the given years (or nothing) in an incremental one -#}
{% macro year_filter(column, years) %}
{%- if not is_incremental() -%}
true
{%- elif years | length == 0 -%}
false
{%- else -%}
({% for y in years %}{{ column }} between date '{{ y }}-01-01' and date '{{ y }}-12-31'{{ ' or ' if not loop.last }}{% endfor %})
{%- endif -%}
{% endmacro %}

{#-
  reported_reach(starts, through_start=false): each start moved back, within its year and era
  (never across the 1 July 2025 reform), to the earliest of the months in which each submitting
  unit last reported before it (through_start: up to and including it). A figure looks ahead to
  its unit's next report (int_funding_series: `disappears_in`), which a change at the start may
  move; the figures of earlier months look ahead no further than their unit's report before the
  start, so they are unchanged. With through_start: the earliest month whose figures a month from
  the start on can carry forward (int_funding_known_month reads no earlier one).
-#}
{% macro reported_reach(starts, through_start=false) %}
    {%- if not execute or starts | length == 0 -%}
        {{ return(starts) }}
    {%- endif -%}
    {%- set sql -%}
        select least(s.start, min(u.last_month))::text
        from unnest(array[{{ month_list(starts) }}]) as s (start)
        left join lateral (
            select max(l.month) as last_month
            from {{ ref('int_latest_submission') }} as l
            where l.month {{ '<=' if through_start else '<' }} s.start
                and l.month >= date_trunc('year', s.start)
                and {{ is_reformed('l.month') }} = {{ is_reformed('s.start') }}
            group by l.submitting_unit_code
        ) as u on true
        group by s.start
        order by 1
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values() | map('string') | list) }}
{% endmacro %}

{% macro delete_months(months) %}
{%- if is_incremental() and months | length > 0 -%}
delete from {{ this }} where month in ({{ month_list(months) }});
{{ record_rebuilt(months | min) }}
{%- else -%}
{{ record_rebuilt(none if is_incremental() else '-infinity') }}
{%- endif -%}
{% endmacro %}

{#- true in a full build; the months to rebuild (or nothing) in an incremental one -#}
{% macro month_filter(column, months) %}
{%- if not is_incremental() -%}
true
{%- elif months | length == 0 -%}
false
{%- else -%}
{{ column }} in ({{ month_list(months) }})
{%- endif -%}
{% endmacro %}

{% macro month_list(months) -%}
{%- for m in months %}date '{{ m }}'{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}

{#- the index months_to_rebuild reads the built (month, submission_id) pairs by; built_filter as
    given to months_to_rebuild (the rows of the model that count as built) -#}
{% macro month_index(built_filter='true') %}
{%- if built_filter == 'true' -%}
{{ table_index('month_idx', 'month, submission_id') }}
{%- else -%}
{{ table_index('built_idx', 'month, submission_id', built_filter) }}
{%- endif -%}
{% endmacro %}

{#-
  Month-keyed marts whose month depends on every earlier month (carry-forward, year to date):
  months_since_change() is, in an incremental build, the earliest month whose submissions in force
  (int_latest_submission) differ from those the marts were last built from (fct_submission_in_force,
  which runs after them): the model deletes and rebuilds every month from it on (since_filter).
  None when nothing changed; '0001-01-01' (everything) when there is no record of the last build.
-#}
{% macro months_since_change() %}
    {%- set latest = ref('int_latest_submission') -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(first_changed_month(latest)) }}
{% endmacro %}

{#- the earliest month whose submissions in force (`latest`: int_latest_submission) differ from
    those of the last build (see months_since_change); '0001-01-01' without a record of it, when
    the reference list changed, or before int_latest_submission was first built -#}
{% macro first_changed_month(latest) %}
    {%- set state = build_state() -%}
    {%- if state is none or latest is none or reference_changed(latest) -%}
        {{ return('0001-01-01') }}
    {%- endif -%}
    {%- set sql -%}
        select min(coalesce(l.month, b.month))
        from (select month, submission_id from {{ latest }}) as l
        full outer join (select month, submission_id from {{ state }}) as b
            on b.month = l.month and b.submission_id = l.submission_id
        where l.submission_id is null or b.submission_id is null
    {%- endset -%}
    {%- set first = run_query(sql).columns[0].values()[0] -%}
    {{ return(none if first is none else first | string) }}
{% endmacro %}

{#- the first of the months to rebuild, or none -#}
{% macro first_month(months) %}
    {{ return(months[0] if months | length > 0 else none) }}
{% endmacro %}

{% macro delete_since(since) %}
{%- if is_incremental() and since is not none -%}
delete from {{ this }} where month >= date '{{ since }}';
{{ record_rebuilt(since) }}
{%- else -%}
{{ record_rebuilt(none if is_incremental() else '-infinity') }}
{%- endif -%}
{% endmacro %}

{#-
  record_rebuilt(first): what this incremental model rebuilds in this invocation, for its data tests
  (macros/test_window.sql): every month from `first` on ('-infinity' = all of them, none = no
  month). Runs in the pre-hook, in the model's transaction, so a failed model records nothing and
  its tests (skipped anyway) or a later build check it whole. Table meta.dbt_rebuilt (migration 0022).
-#}
{% macro record_rebuilt(first) %}
insert into meta.dbt_rebuilt (invocation_id, model, rebuilt_from)
values ('{{ invocation_id }}', '{{ this.identifier }}', date '{{ 'infinity' if first is none else first }}')
on conflict (invocation_id, model) do update set rebuilt_from = least(meta.dbt_rebuilt.rebuilt_from, excluded.rebuilt_from)
{% endmacro %}

{#- true in a full build; the months from `since` on (or nothing) in an incremental one -#}
{% macro since_filter(column, since) %}
{%- if not is_incremental() -%}
true
{%- elif since is none -%}
false
{%- else -%}
{{ column }} >= date '{{ since }}'
{%- endif -%}
{% endmacro %}

{#-
  The record of the last build (fct_submission_in_force, in the marts schema of this build), or
  none. It also holds the digest of the administrative reference list the marts were built with:
  units in force, xã or not, parents and successors decide every month's figures, so when the list
  changed (`ntm reference import-units`, a new package list) reference_changed(latest) is true and every
  incremental model rebuilds all its months.
-#}
{% macro build_state() %}
    {{ return(adapter.get_relation(database=target.database, schema=generate_schema_name('marts', none),
                                   identifier='fct_submission_in_force')) }}
{% endmacro %}

{#- ref.admin_unit by name (not through ref/source: the unit tests of the models that call this know
    only their given inputs), every column -#}
{% macro reference_digest_sql() -%}
    {%- set units = api.Relation.create(database=target.database, schema='ref', identifier='admin_unit') -%}
    select md5(string_agg(md5(u::text), '' order by md5(u::text))) from {{ units }} as u
{%- endmacro %}

{#- whether the list this build started with (its digest in `latest`, int_latest_submission, made at
    the start of the build) differs from the list of the last build (build_state). Not the list as
    it is now: a list changed during the build must still count as changed for the next one. -#}
{% macro reference_changed(latest) %}
    {%- set state = build_state() -%}
    {%- if state is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set sql -%}
        select exists (
            select 1 from {{ state }}
            where reference_digest is distinct from (select l.reference_digest from {{ latest }} as l limit 1)
        )
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{% endmacro %}

{#-
  The decision of what to rebuild is taken once per model, where the model's SQL is compiled, and
  the pre-hook applies exactly that decision. Computing it again in the pre-hook (as before
  2026-12-07) could disagree with the model: a submission loaded between the two, or the record of
  the last build (fct_submission_in_force) being swapped by another thread, made a pre-hook delete
  months the model then did not rebuild.

  plan_rebuild(months) stores the months in a temporary table of the model's own transaction (dbt
  compiles a model and runs its hooks on one connection, in one transaction; ON COMMIT DROP) and
  returns them; planned_months() in the pre-hook reads them back (a missing plan fails the model
  instead of guessing). Year tails are stored as their start months, `since` as its one month.
-#}
{% macro plan_rebuild(months) %}
    {%- if execute and is_incremental() -%}
        {%- set sql -%}
            drop table if exists pg_temp.ntm_rebuild_plan;
            create temporary table ntm_rebuild_plan (month date primary key) on commit drop;
            {%- if months | length > 0 %}
            insert into pg_temp.ntm_rebuild_plan (month) values
                {% for m in months %}(date '{{ m }}'){{ ', ' if not loop.last }}{% endfor %};
            {%- endif %}
        {%- endset -%}
        {%- do run_query(sql) -%}
    {%- endif -%}
    {{ return(months) }}
{% endmacro %}

{% macro plan_rebuild_since(since) %}
    {%- do plan_rebuild([] if since is none else [since]) -%}
    {{ return(since) }}
{% endmacro %}

{% macro planned_months() %}
    {%- if not execute or not is_incremental() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query('select month from pg_temp.ntm_rebuild_plan order by 1') -%}
    {{ return(rows.columns[0].values() | map('string') | list) }}
{% endmacro %}

{% macro planned_since() %}
    {{ return(first_month(planned_months())) }}
{% endmacro %}
