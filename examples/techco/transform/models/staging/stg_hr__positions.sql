with

source as (

    select * from {{ source('hr', 'positions') }}

),

renamed as (

    select
        position_id,
        worker_id,
        valid_from,
        department_id,
        job_profile_id,
        manager_id,
        reason

    from source

)

select * from renamed
