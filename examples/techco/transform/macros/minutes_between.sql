{#- Whole minutes from one timestamp to a later one (as BigQuery's TIMESTAMP_DIFF(b, a, MINUTE),
    which Four Keys uses): the elapsed seconds divided by 60, rounded down. Portable to DuckDB and
    PostgreSQL. -#}
{% macro minutes_between(start, finish) -%}
    cast(floor(extract(epoch from ({{ finish }} - {{ start }})) / 60) as bigint)
{%- endmacro %}
