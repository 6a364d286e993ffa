with

products as (

    select * from {{ ref('stg_shop__products') }}

),

categories as (

    select * from {{ ref('stg_shop__categories') }}

),

catalog as (

    select * from {{ ref('stg_catalog__products') }}

),

final as (

    select
        products.product_id,
        products.sku,
        products.item,
        products.product_type,
        products.model,
        products.category_id,
        categories.category_name as category,
        products.price as current_price,
        catalog.screen_size

    from products
    left join categories on products.category_id = categories.category_id
    left join catalog on products.product_id = catalog.product_id

)

select * from final
