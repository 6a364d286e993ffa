{#- A surrogate key: the md5 (32 hex digits) of the columns' text, joined by '|', nulls as ''.
    What dbt_utils.generate_surrogate_key does, without the package. Give it columns whose text
    form is the same on every engine (integers, text), so both engines give the same keys. -#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
