with

source as (

    select * from {{ source('shop', 'price_history') }}

),

renamed as (

    select
        cast(price_id as bigint) as price_id,
        cast(product_id as integer) as product_id,
        cast(price as decimal(10, 2)) as price,
        cast(valid_from as timestamp) as valid_from

    from source

)

select * from renamed
