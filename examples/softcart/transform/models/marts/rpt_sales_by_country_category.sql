{#- Total sales by country and category, by country, by category, and overall
    (GROUP BY GROUPING SETS). grouping_level tells the four kinds of rows apart. -#}
with

sales as (

    select * from {{ ref('int_completed_sales') }}

),

grouped as (

    select
        country,
        category,
        case grouping(country, category)
            when 0 then 'country_category'
            when 1 then 'country'
            when 2 then 'category'
            else 'total'
        end as grouping_level,
        cast(sum(amount) as decimal(18, 2)) as total_sales

    from sales
    group by grouping sets ((country, category), (country), (category), ())

)

select * from grouped
