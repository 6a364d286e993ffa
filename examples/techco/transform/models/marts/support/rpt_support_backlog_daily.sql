{#- Open tickets at the end of each day: those whose status then was new, open or pending
    (a reopened ticket is back in the backlog until solved again). -#}
with

history as (

    select * from {{ ref('stg_helpdesk__status_history') }}
    where field_name = 'status'

),

days as (

    select * from {{ ref('dim_date') }}

),

spans as (

    select
        ticket_id,
        value as status,
        updated_at as valid_from,
        coalesce(
            lead(updated_at) over (partition by ticket_id order by updated_at),
            cast('9999-12-31 00:00:00' as timestamp)
        ) as valid_to

    from history

),

bounds as (

    select min(valid_from) as first_at, max(valid_from) as last_at from spans

),

final as (

    select
        days.date,
        count(spans.ticket_id) as open_tickets

    from days
    cross join bounds
    left join spans
        on spans.status in ('new', 'open', 'pending')
        and spans.valid_from < cast({{ dbt.dateadd('day', 1, 'days.date') }} as timestamp)
        and spans.valid_to >= cast({{ dbt.dateadd('day', 1, 'days.date') }} as timestamp)
    where days.date >= cast(bounds.first_at as date) and days.date <= cast(bounds.last_at as date)
    group by days.date

)

select * from final
