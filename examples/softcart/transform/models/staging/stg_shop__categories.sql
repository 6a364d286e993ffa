with

source as (

    select * from {{ source('shop', 'categories') }}

),

renamed as (

    select
        cast(category_id as integer) as category_id,
        name as category_name

    from source

)

select * from renamed
