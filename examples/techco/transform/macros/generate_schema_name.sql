{#- Every model builds in the target's schema (`staging`), never in `staging_<custom>`:
    the publish step copies the marts from there to production.
    Snapshots are the exception: they keep history that no rebuild can recreate, so they live in
    the schema their config names (`snapshots`), which persists between runs and is never
    published or dropped. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if node.resource_type == 'snapshot' and custom_schema_name is not none -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}
