with

source as (

    select * from {{ source('helpdesk', 'sla_policies') }}

),

renamed as (

    select
        priority,
        metric,
        target_minutes,
        business_hours

    from source

)

select * from renamed
