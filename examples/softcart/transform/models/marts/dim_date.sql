{#- One row per calendar day from the first to the last day with an event: an order, a web
    request, a search or a stock count. A recursive CTE rather than an engine's series
    function, so it builds on DuckDB and PostgreSQL alike. -#}
with recursive

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

requests as (

    select * from {{ ref('stg_weblogs__access_log') }}

),

searches as (

    select * from {{ ref('stg_searchterms__searches') }}

),

stock_counts as (

    select * from {{ ref('snp_shop__inventory') }}

),

event_days as (

    select cast(ordered_at as date) as event_day from orders
    union all
    select cast(requested_at as date) as event_day from requests
    union all
    select make_date(search_year, search_month, search_day) as event_day from searches
    union all
    select cast(updated_at as date) as event_day from stock_counts

),

bounds as (

    select
        min(event_day) as first_day,
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

parts as (

    select
        date_day,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_number,
        cast(extract(month from date_day) as integer) as month_number,
        cast(extract(week from date_day) as integer) as iso_week,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(isodow from date_day) as integer) as iso_weekday

    from days

),

final as (

    select
        {{ date_key('date_day') }} as date_key,
        date_day as date,
        year_number as year,
        quarter_number as quarter,
        month_number as month,
        case month_number
            when 1 then 'January'
            when 2 then 'February'
            when 3 then 'March'
            when 4 then 'April'
            when 5 then 'May'
            when 6 then 'June'
            when 7 then 'July'
            when 8 then 'August'
            when 9 then 'September'
            when 10 then 'October'
            when 11 then 'November'
            when 12 then 'December'
        end as month_name,
        iso_week as week,
        day_of_month,
        iso_weekday as weekday,
        case iso_weekday
            when 1 then 'Monday'
            when 2 then 'Tuesday'
            when 3 then 'Wednesday'
            when 4 then 'Thursday'
            when 5 then 'Friday'
            when 6 then 'Saturday'
            when 7 then 'Sunday'
        end as weekday_name,
        iso_weekday >= 6 as is_weekend

    from parts

)

select * from final
