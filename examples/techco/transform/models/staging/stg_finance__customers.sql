with

source as (

    select * from {{ source('finance', 'customers') }}

),

renamed as (

    select
        customer_id,
        name,
        created_at

    from source

)

select * from renamed
