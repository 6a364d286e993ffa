{#- Every model builds in the target schema (staging), from where armazem publishes the
    marts; snapshots keep the schema their config names, which is never dropped. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if node.resource_type == 'snapshot' and custom_schema_name is not none -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}
