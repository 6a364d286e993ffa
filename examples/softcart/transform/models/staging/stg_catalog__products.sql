with

source as (

    select * from {{ source('catalog', 'products') }}

),

renamed as (

    select
        ---------- ids
        document_id,
        cast(product_id as integer) as product_id,

        ---------- text
        product_type,
        model,
        attributes,

        ---------- numerics
        cast(screen_size as double precision) as screen_size

    from source

)

select * from renamed
