{#- The sales the reports count: order lines of completed orders, with the attributes they
    group by. The country is the customer's when the order was placed (fct_sales.country_id).
    A table, not a view: seven reports read it, and as a view each would join the whole fact
    to its dimensions again (about 3 s each at scale 1 on PostgreSQL). -#}
{{ config(materialized='table') }}

with

sales as (

    select * from {{ ref('fct_sales') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

countries as (

    select * from {{ ref('dim_country') }}

),

categories as (

    select * from {{ ref('dim_category') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

final as (

    select
        sales.order_line_id,
        dates.year,
        dates.quarter,
        dates.month,
        countries.country,
        categories.category,
        sales.product_id,
        products.item,
        sales.amount

    from sales
    inner join dates on sales.date_key = dates.date_key
    inner join countries on sales.country_id = countries.country_id
    inner join categories on sales.category_id = categories.category_id
    inner join products on sales.product_id = products.product_id
    where sales.order_status = 'completed'

)

select * from final
