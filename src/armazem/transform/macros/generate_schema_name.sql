{#- Every model builds in the target's schema (`staging`), never in `staging_<custom>`:
    the publish step copies the marts from there to production. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ target.schema }}
{%- endmacro %}
