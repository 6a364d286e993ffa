with

source as (

    select * from {{ source('shop', 'countries') }}

),

renamed as (

    select
        cast(country_id as integer) as country_id,
        name as country_name,
        region

    from source

)

select * from renamed
