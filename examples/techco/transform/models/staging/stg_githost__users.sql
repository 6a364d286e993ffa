with

source as (

    select * from {{ source('githost', 'users') }}

),

renamed as (

    select
        user_id,
        login,
        display_name,
        email,
        created_at

    from source

)

select * from renamed
