with

source as (

    select * from {{ source('finance', 'accounts') }}

),

renamed as (

    select
        account_id,
        account_number,
        name,
        classification,
        account_type

    from source

)

select * from renamed
