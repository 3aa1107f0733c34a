{#- Models land in exactly the schema they configure (staging, intermediate, marts, reference),
    never in dbt's default "<target>_<custom>" concatenation. The marts are built into the schema
    named by NTM_MARTS_SCHEMA when it is set: the pipeline builds into `marts_build` and publishes
    it in one transaction (ingest/migrations/0008_marts_publish.sql), so readers never see a
    half-built warehouse. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}{{ env_var('NTM_MARTS_SCHEMA', 'marts') }}
    {%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
