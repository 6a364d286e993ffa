with

source as (

    select * from {{ source('legacy', 'fato_funcionarios') }}

),

renamed as (

    select
        fato_id as fact_id,
        funcionario_id as employee_id,
        departamento_id as department_id,
        projeto_id as project_id,
        tarefa_id as task_id,
        ticket_id,
        transacao_id as transaction_id,
        data_inicio as started_on,
        data_fim as ended_on

    from source

)

select * from renamed
