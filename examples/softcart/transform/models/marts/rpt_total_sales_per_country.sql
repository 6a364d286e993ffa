with

sales as (

    select * from {{ ref('int_completed_sales') }}

),

per_country as (

    select
        country,
        cast(sum(amount) as decimal(18, 2)) as total_sales

    from sales
    group by country

)

select * from per_country
