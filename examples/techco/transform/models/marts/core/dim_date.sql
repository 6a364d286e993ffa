{#- One row per calendar day from 1 January of the year of the first hire to the last day with
    any event (a commit, a ticket, a journal entry, an issue). A recursive CTE rather than an
    engine's series function, so it builds on DuckDB and PostgreSQL alike. -#}
with recursive

event_days as (

    select cast(hire_date as date) as event_day from {{ ref('stg_hr__employments') }}
    union all
    select cast(committed_at as date) from {{ ref('stg_githost__commits') }}
    union all
    select cast(created_at as date) from {{ ref('stg_helpdesk__tickets') }}
    union all
    select cast(updated_at as date) from {{ ref('stg_helpdesk__status_history') }}
    union all
    select entry_date from {{ ref('stg_finance__journal_entries') }}
    union all
    select cast(created_at as date) from {{ ref('stg_tracker__issues') }}
    union all
    select cast(closed_at as date) from {{ ref('stg_githost__incidents') }}

),

bounds as (

    select
        cast({{ dbt.date_trunc('year', 'min(event_day)') }} as date) as first_day,
        max(event_day) as last_day

    from event_days

),

days as (

    select first_day as date_day from bounds where first_day is not null

    union all

    select cast({{ dbt.dateadd('day', 1, 'days.date_day') }} as date) as date_day
    from days
    cross join bounds
    where days.date_day < bounds.last_day

),

final as (

    select
        {{ date_key('date_day') }} as date_key,
        date_day as date,
        cast(extract(year from date_day) as integer) as year,
        cast(extract(quarter from date_day) as integer) as quarter,
        cast(extract(month from date_day) as integer) as month,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast(extract(isodow from date_day) as integer) as weekday,
        cast(extract(isodow from date_day) as integer) >= 6 as is_weekend,
        date_day = cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', 'date_day'))) }}
            as date
        ) as is_month_end

    from days

)

select * from final
