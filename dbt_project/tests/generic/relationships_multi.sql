{#- Composite foreign key: rows of the model whose (columns) have no match in to (to_columns). -#}
{% test relationships_multi(model, columns, to, to_columns) %}
with m as (
    select * from {{ model }}
)
select m.*
from m
where not exists (
    select 1 from {{ to }} as p
    where {% for c in columns %}p.{{ to_columns[loop.index0] }} = m.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
)
{% endtest %}
