with

source as (

    select * from {{ source('hr', 'salaries') }}

),

renamed as (

    select
        salary_id,
        worker_id,
        effective_date,
        annual_salary,
        reason

    from source

)

select * from renamed
