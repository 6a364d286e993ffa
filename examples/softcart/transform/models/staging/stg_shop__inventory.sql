with

source as (

    select * from {{ source('shop', 'inventory') }}

),

renamed as (

    select
        cast(product_id as integer) as product_id,
        cast(quantity_on_hand as integer) as quantity_on_hand,
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from renamed
