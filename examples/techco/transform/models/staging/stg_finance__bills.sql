with

source as (

    select * from {{ source('finance', 'bills') }}

),

renamed as (

    select
        bill_id,
        vendor_id,
        bill_date,
        due_date,
        total_amount,
        expense_account_id,
        department_id,
        project_id

    from source

)

select * from renamed
