with

source as (

    select * from {{ source('legacy', 'funcionarios') }}

),

renamed as (

    select
        funcionario_id as employee_id,
        nome as name,
        cargo as title,
        departamento_id as department_id

    from source

)

select * from renamed
