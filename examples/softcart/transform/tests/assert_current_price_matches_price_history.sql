{#- A product's current price in dim_product (the shop's products table) is its current price in
    dim_product_price (the shop's price history). A row here is a product whose two records
    disagree, or that has no price history at all. -#}
with

products as (

    select * from {{ ref('dim_product') }}

),

current_prices as (

    select * from {{ ref('dim_product_price') }}
    where is_current

)

select
    products.product_id,
    products.current_price,
    current_prices.price as price_history_price

from products
left join current_prices on products.product_id = current_prices.product_id
where current_prices.price is null or current_prices.price <> products.current_price
