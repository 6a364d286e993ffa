{#- The support team's business hours as UTC intervals: one row per working day of the schedule
    (its weekdays, less its holidays) with the moments the day opens and closes. The schedule is
    kept in its own time zone, so the UTC hours move when daylight saving time starts or ends. -#}
with

schedules as (

    select * from {{ ref('stg_helpdesk__schedules') }}

),

holidays as (

    select * from {{ ref('stg_helpdesk__schedule_holidays') }}

),

days as (

    select * from {{ ref('dim_date') }}

),

local_hours as (

    select
        schedules.schedule_id,
        schedules.time_zone,
        days.date,
        cast({{ dbt.dateadd('minute', 'schedules.start_minute', 'days.date') }} as timestamp)
            as opens_local,
        cast({{ dbt.dateadd('minute', 'schedules.end_minute', 'days.date') }} as timestamp)
            as closes_local

    from days
    inner join schedules on days.weekday = schedules.weekday
    where not exists (
        select 1 from holidays
        where holidays.schedule_id = schedules.schedule_id
            and days.date between holidays.start_date and holidays.end_date
    )

),

final as (

    select
        schedule_id,
        date,
        -- local wall-clock time -> the instant (in its zone) -> UTC wall-clock time
        cast((opens_local at time zone time_zone) at time zone 'UTC' as timestamp) as opens_at,
        cast((closes_local at time zone time_zone) at time zone 'UTC' as timestamp) as closes_at

    from local_hours

)

select * from final
