with

source as (

    select * from {{ source('hr', 'department_names') }}

),

renamed as (

    select
        department_name_id,
        department_id,
        name,
        valid_from

    from source

)

select * from renamed
