with

source as (

    select * from {{ source('finance', 'vendors') }}

),

renamed as (

    select
        vendor_id,
        name

    from source

)

select * from renamed
