with

source as (

    select * from {{ source('hr', 'departments') }}

),

renamed as (

    select
        department_id,
        name,
        parent_department_id,
        cost_center,
        updated_at

    from source

)

select * from renamed
