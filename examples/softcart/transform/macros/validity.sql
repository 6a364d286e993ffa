{#- The bounds of SCD type 2 validity intervals. A version is valid from valid_from (inclusive)
    to valid_to (exclusive). The first version of a key starts at the beginning of time, so
    facts from before the first capture still find it; the current version ends at the end of
    time (not NULL), so a lookup is one range condition on every engine. -#}
{% macro beginning_of_time() -%}
    cast('1900-01-01 00:00:00' as timestamp)
{%- endmacro %}

{% macro end_of_time() -%}
    cast('9999-12-31 00:00:00' as timestamp)
{%- endmacro %}

{#- The lower bound of an incremental model's next batch: `lookback_days` before the latest
    value of `column` already in the model, so late and changed rows near the edge are
    processed again (the merge on the key makes that harmless). A model built by an older
    version of the project, without that column, stops with a message that says what to do
    (otherwise the column would silently bind to the outer query). -#}
{% macro incremental_cutoff(column, lookback_days=3) -%}
    {%- if execute and is_incremental() -%}
        {%- set existing = adapter.get_columns_in_relation(this)
                | map(attribute='name') | map('lower') | list -%}
        {%- if column | lower not in existing -%}
            {{ exceptions.raise_compiler_error(
                this.identifier ~ " in the warehouse predates its current layout (it has no "
                ~ column ~ " column): rebuild it once with a full refresh "
                ~ "(armazem.transform.build(settings, full_refresh=True), dbt build --full-refresh)"
            ) }}
        {%- endif -%}
    {%- endif -%}
    (select {{ dbt.dateadd('day', -lookback_days, 'max(previous.' ~ column ~ ')') }}
     from {{ this }} as previous)
{%- endmacro %}
