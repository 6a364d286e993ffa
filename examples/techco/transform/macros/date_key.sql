{#- The integer yyyymmdd key of the day a date or timestamp falls on, e.g. 20211231. -#}
{% macro date_key(column) -%}
    cast(
        extract(year from {{ column }}) * 10000
        + extract(month from {{ column }}) * 100
        + extract(day from {{ column }})
        as integer
    )
{%- endmacro %}
