with

source as (

    select * from {{ source('shop', 'products') }}

),

renamed as (

    select
        ---------- ids
        cast(product_id as integer) as product_id,
        cast(category_id as integer) as category_id,

        ---------- text
        sku,
        item,
        product_type,
        model,

        ---------- numerics
        cast(price as decimal(10, 2)) as price,

        ---------- timestamps
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from renamed
