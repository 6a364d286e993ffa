{#- A type 2 dimension's versions of each business key tile time without gap or overlap: the
    first starts at the beginning of time, each ends where the next starts, the last ends at the
    end of time and is the only current one. A row here is a version that breaks this. -#}
{% test scd2_history(model, key, version_key) %}

with

versions as (

    select
        {{ key }} as business_key,
        {{ version_key }} as version_key,
        valid_from,
        valid_to,
        is_current,
        row_number() over (
            partition by {{ key }} order by valid_from, valid_to
        ) as position,
        lead(valid_from) over (
            partition by {{ key }} order by valid_from, valid_to
        ) as next_valid_from

    from {{ model }}

)

select *
from versions
where
    (position = 1 and valid_from <> {{ beginning_of_time() }})
    or (next_valid_from is null and (valid_to <> {{ end_of_time() }} or not is_current))
    or (next_valid_from is not null and (valid_to <> next_valid_from or is_current))
    or valid_from > valid_to

{% endtest %}
