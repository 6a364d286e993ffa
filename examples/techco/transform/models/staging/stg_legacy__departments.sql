with

source as (

    select * from {{ source('legacy', 'departamentos') }}

),

renamed as (

    select
        departamento_id as department_id,
        nome_departamento as department_name

    from source

)

select * from renamed
