with

source as (

    select * from {{ source('shop', 'customers') }}

),

renamed as (

    select
        ---------- ids
        cast(customer_id as integer) as customer_id,
        cast(country_id as integer) as country_id,

        ---------- text
        email,
        first_name,
        last_name,
        segment,

        ---------- timestamps
        cast(created_at as timestamp) as created_at,
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from renamed
