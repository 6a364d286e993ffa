with

source as (

    select * from {{ source('helpdesk', 'schedules') }}

),

renamed as (

    select
        schedule_id,
        name,
        time_zone,
        weekday,
        start_minute,
        end_minute

    from source

)

select * from renamed
