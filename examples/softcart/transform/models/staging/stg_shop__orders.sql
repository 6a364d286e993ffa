with

source as (

    select * from {{ source('shop', 'orders') }}

),

renamed as (

    select
        ---------- ids
        cast(order_id as bigint) as order_id,
        cast(customer_id as integer) as customer_id,

        ---------- text
        status as order_status,

        ---------- timestamps
        cast(ordered_at as timestamp) as ordered_at,
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from renamed
