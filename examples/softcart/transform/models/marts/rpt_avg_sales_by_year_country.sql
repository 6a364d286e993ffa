{#- Average order-line amount by year and country, and over every combination of the two
    (GROUP BY CUBE). grouping_level tells the subtotal rows from the detail rows. -#}
with

sales as (

    select * from {{ ref('int_completed_sales') }}

),

cubed as (

    select
        year,
        country,
        case grouping(year, country)
            when 0 then 'year_country'
            when 1 then 'year'
            when 2 then 'country'
            else 'total'
        end as grouping_level,
        count(*) as order_lines,
        {{ money_average('amount') }} as average_sales

    from sales
    group by cube (year, country)

)

select * from cubed
