with

source as (

    select * from {{ source('helpdesk', 'schedule_holidays') }}

),

renamed as (

    select
        schedule_id,
        name,
        start_date,
        end_date

    from source

)

select * from renamed
