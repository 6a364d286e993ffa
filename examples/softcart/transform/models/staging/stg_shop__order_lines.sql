with

source as (

    select * from {{ source('shop', 'order_lines') }}

),

renamed as (

    select
        ---------- ids
        cast(order_line_id as bigint) as order_line_id,
        cast(order_id as bigint) as order_id,
        cast(product_id as integer) as product_id,

        ---------- numerics
        cast(quantity as integer) as quantity,
        cast(unit_price as decimal(10, 2)) as unit_price,

        ---------- timestamps
        cast(created_at as timestamp) as created_at

    from source

)

select * from renamed
