with

source as (

    select * from {{ source('tracker', 'users') }}

),

renamed as (

    select
        account_id,
        display_name,
        email,
        active

    from source

)

select * from renamed
