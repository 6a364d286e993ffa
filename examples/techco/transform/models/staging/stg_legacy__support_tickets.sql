with

source as (

    select * from {{ source('legacy', 'tickets_suporte') }}

),

renamed as (

    select
        ticket_id,
        descricao as description,
        data_criacao as created_on,
        estado as status

    from source

)

select * from renamed
