{#- One row per journal line, with its account's classification and the amount signed by
    dbt_quickbooks' rules: debits count positive on Asset and Expense accounts, credits on
    Liability, Equity and Revenue accounts. A late entry reached the ledger after the month it
    belongs to had ended. people: on both lines of a payroll entry, the number of workers it pays
    (the department's month-end headcount); NULL on lines that are not about people. -#}
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

headcount as (

    select month_end, department_id, count(*) as people
    from {{ ref('fct_headcount_monthly') }}
    group by month_end, department_id

),

-- a payroll entry pays one department's workers: its salaries line names the department
payrolls as (

    select lines.journal_entry_id, sum(headcount.people) as people
    from lines
    inner join entries on lines.journal_entry_id = entries.journal_entry_id
    inner join headcount
        on headcount.month_end = entries.entry_date
        and headcount.department_id = lines.department_id
    where entries.kind = 'payroll'
    group by lines.journal_entry_id

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
        -- a payroll whose workers are not found counts none: withheld, never shown as not personal
        case when entries.kind = 'payroll' then coalesce(payrolls.people, 0) end as people,
        cast(entries.posted_at as date) > cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, dbt.date_trunc('month', 'entries.entry_date'))) }}
            as date
        ) as is_late,
        {{ date_key('entries.entry_date') }} as date_key

    from lines
    inner join entries on lines.journal_entry_id = entries.journal_entry_id
    inner join accounts on lines.account_id = accounts.account_id
    left join payrolls on lines.journal_entry_id = payrolls.journal_entry_id

)

select * from final
