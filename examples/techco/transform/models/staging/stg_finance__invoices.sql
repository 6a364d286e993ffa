with

source as (

    select * from {{ source('finance', 'invoices') }}

),

renamed as (

    select
        invoice_id,
        customer_id,
        project_id,
        invoice_date,
        due_date,
        total_amount

    from source

)

select * from renamed
