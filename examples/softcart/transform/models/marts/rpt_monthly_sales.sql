{#- Total sales of completed orders per calendar month. -#}
with

sales as (

    select * from {{ ref('int_completed_sales') }}

),

per_month as (

    select
        year,
        month,
        cast(sum(amount) as decimal(18, 2)) as total_sales

    from sales
    group by year, month

)

select * from per_month
