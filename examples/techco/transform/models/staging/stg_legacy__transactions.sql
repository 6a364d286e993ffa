with

source as (

    select * from {{ source('legacy', 'transacoes_financeiras') }}

),

renamed as (

    select
        transacao_id as transaction_id,
        descricao as description,
        valor as amount,
        data_transacao as transaction_date

    from source

)

select * from renamed
