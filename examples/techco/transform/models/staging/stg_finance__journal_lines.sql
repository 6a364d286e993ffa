with

source as (

    select * from {{ source('finance', 'journal_lines') }}

),

renamed as (

    select
        journal_line_id,
        journal_entry_id,
        line_number,
        account_id,
        debit,
        credit,
        department_id,
        project_id

    from source

)

select * from renamed
