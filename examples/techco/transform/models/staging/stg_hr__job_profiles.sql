with

source as (

    select * from {{ source('hr', 'job_profiles') }}

),

renamed as (

    select
        job_profile_id,
        title,
        job_family,
        level,
        min_salary,
        max_salary

    from source

)

select * from renamed
