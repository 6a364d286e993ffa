with

source as (

    select * from {{ source('helpdesk', 'satisfaction') }}

),

renamed as (

    select
        rating_id,
        ticket_id,
        cast(created_at at time zone 'UTC' as timestamp) as created_at,
        score,
        comment

    from source

)

select * from renamed
