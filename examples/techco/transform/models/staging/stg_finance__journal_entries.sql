with

source as (

    select * from {{ source('finance', 'journal_entries') }}

),

renamed as (

    select
        journal_entry_id,
        entry_date,
        kind,
        source_id,
        memo,
        posted_at

    from source

)

select * from renamed
