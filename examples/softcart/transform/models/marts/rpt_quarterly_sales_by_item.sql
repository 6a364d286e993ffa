{#- Total sales of completed orders per item (product) and calendar quarter. -#}
with

sales as (

    select * from {{ ref('int_completed_sales') }}

),

per_item_quarter as (

    select
        year,
        quarter,
        product_id,
        item,
        cast(sum(amount) as decimal(18, 2)) as total_sales

    from sales
    group by year, quarter, product_id, item

)

select * from per_item_quarter
