{#- Fails when the model and compare_model (optionally filtered) have different row counts.
    window_of: the incremental model under test, whose rows an incremental build checks only in the
    months it rebuilt (macros/test_window.sql): compare_model is counted over the same months. -#}
{% test equal_rowcount(model, compare_model, where_compare='true', window_of=none) %}
{%- set window = rebuilt_window(window_of) if window_of else none -%}
with a as (select count(*) as n from {{ model }}),
     b as (select count(*) as n from {{ compare_model }} where {{ where_compare }}{% if window %} and {{ window }}{% endif %})
select a.n as model_rows, b.n as compare_rows from a cross join b where a.n <> b.n
{% endtest %}
