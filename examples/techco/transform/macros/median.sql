{#- The median of a column within a GROUP BY (continuous: the mean of the two middle values of an
    even count), as PERCENTILE_CONT(x, 0.5) in Four Keys' queries. -#}
{% macro median(column) -%}
    percentile_cont(0.5) within group (order by {{ column }})
{%- endmacro %}

{% macro percentile(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}
