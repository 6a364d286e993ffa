with

source as (

    select * from {{ source('helpdesk', 'status_history') }}

),

renamed as (

    select
        ticket_id,
        cast(updated_at at time zone 'UTC' as timestamp) as updated_at,
        field_name,
        value,
        source_file,
        row_number

    from source

)

select * from renamed
