with

source as (

    select * from {{ source('legacy', 'tarefas') }}

),

renamed as (

    select
        tarefa_id as task_id,
        descricao as description,
        projeto_id as project_id,
        estado as status

    from source

)

select * from renamed
