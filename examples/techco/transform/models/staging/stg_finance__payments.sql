with

source as (

    select * from {{ source('finance', 'payments') }}

),

renamed as (

    select
        payment_id,
        direction,
        invoice_id,
        bill_id,
        payment_date,
        amount

    from source

)

select * from renamed
