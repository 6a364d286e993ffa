{#- The average of a money column, rounded half up to the cent, identically on every engine.
    avg() of a decimal is a double in DuckDB but an exact numeric in PostgreSQL, so the two
    would round a half cent differently. Here the sum is exact, and the one division either
    gives the exact whole number of cents or a value well clear of it, which floor() settles. -#}
{% macro money_average(column) -%}
    cast(
        floor((2 * sum({{ column }} * 100) + count({{ column }})) / (2.0 * count({{ column }})))
        / 100
        as decimal(18, 2)
    )
{%- endmacro %}
