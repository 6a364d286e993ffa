with

source as (

    select * from {{ source('helpdesk', 'tickets') }}

),

renamed as (

    select
        ticket_id,
        cast(created_at at time zone 'UTC' as timestamp) as created_at,
        subject,
        description,
        priority,
        channel,
        requester_id,
        organization_id,
        assignee_id,
        group_name

    from source

)

select * from renamed
