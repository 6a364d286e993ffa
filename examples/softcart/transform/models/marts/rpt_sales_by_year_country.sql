{#- Total sales by year and country, with a subtotal per year and a grand total
    (GROUP BY ROLLUP). grouping_level tells those rows from the detail rows. -#}
with

sales as (

    select * from {{ ref('int_completed_sales') }}

),

rolled_up as (

    select
        year,
        country,
        case grouping(year, country)
            when 0 then 'year_country'
            when 1 then 'year'
            else 'total'
        end as grouping_level,
        cast(sum(amount) as decimal(18, 2)) as total_sales

    from sales
    group by rollup (year, country)

)

select * from rolled_up
