{#- Total sales of completed orders per product category. -#}
with

sales as (

    select * from {{ ref('int_completed_sales') }}

),

per_category as (

    select
        category,
        cast(sum(amount) as decimal(18, 2)) as total_sales

    from sales
    group by category

)

select * from per_category
