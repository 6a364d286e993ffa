with

source as (

    select * from {{ source('hr', 'workers') }}

),

renamed as (

    select
        worker_id,
        first_name,
        last_name,
        email,
        status,
        original_hire_date,
        hire_date,
        termination_date,
        department_id,
        job_profile_id,
        manager_id,
        updated_at

    from source

)

select * from renamed
