with

source as (

    select * from {{ source('hr', 'employments') }}

),

renamed as (

    select
        employment_id,
        worker_id,
        hire_date,
        termination_date,
        termination_kind,
        is_regrettable,
        is_rehire

    from source

)

select * from renamed
