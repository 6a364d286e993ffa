{#- One row per journal line, with its account's classification and the amount signed by
    dbt_quickbooks' rules: debits count positive on Asset and Expense accounts, credits on
    Liability, Equity and Revenue accounts. A late entry reached the ledger after the month it
    belongs to had ended. -#}
with

lines as (

    select * from {{ ref('stg_finance__journal_lines') }}

),

entries as (

    select * from {{ ref('stg_finance__journal_entries') }}

),

accounts as (

    select * from {{ ref('stg_finance__accounts') }}

),

final as (

    select
        lines.journal_line_id,
        lines.journal_entry_id,
        entries.entry_date,
        entries.posted_at,
        entries.kind as entry_kind,
        lines.account_id,
        accounts.account_number,
        accounts.name as account_name,
        accounts.classification,
        accounts.account_type,
        lines.debit,
        lines.credit,
        case
            when accounts.classification in ('Asset', 'Expense') then lines.debit - lines.credit
            else lines.credit - lines.debit
        end as adjusted_amount,
        lines.department_id,
        lines.project_id,
        cast(entries.posted_at as date) > cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', 'entries.entry_date'))) }}
            as date
        ) as is_late,
        {{ date_key('entries.entry_date') }} as date_key

    from lines
    inner join entries on lines.journal_entry_id = entries.journal_entry_id
    inner join accounts on lines.account_id = accounts.account_id

)

select * from final
