with

source as (

    select * from {{ source('legacy', 'projetos') }}

),

renamed as (

    select
        projeto_id as project_id,
        nome_projeto as project_name,
        data_inicio as started_on,
        data_conclusao as finished_on

    from source

)

select * from renamed
