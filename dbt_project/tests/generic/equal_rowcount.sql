{#- Fails when the model and compare_model (optionally filtered) have different row counts. -#}
{% test equal_rowcount(model, compare_model, where_compare='true') %}
with a as (select count(*) as n from {{ model }}),
     b as (select count(*) as n from {{ compare_model }} where {{ where_compare }})
select a.n as model_rows, b.n as compare_rows from a cross join b where a.n <> b.n
{% endtest %}
