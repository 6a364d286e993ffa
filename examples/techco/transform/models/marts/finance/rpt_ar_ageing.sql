{#- Accounts receivable ageing as of the ledger's last entry date: every invoice not yet paid,
    by how many days past its due date it is (QuickBooks' ageing buckets). -#}
with

invoices as (

    select * from {{ ref('stg_finance__invoices') }}

),

payments as (

    select invoice_id, sum(amount) as paid
    from {{ ref('stg_finance__payments') }}
    where invoice_id is not null
    group by invoice_id

),

as_of as (

    select max(entry_date) as as_of_date from {{ ref('stg_finance__journal_entries') }}

),

open_invoices as (

    select
        invoices.invoice_id,
        invoices.customer_id,
        invoices.project_id,
        invoices.invoice_date,
        invoices.due_date,
        invoices.total_amount - coalesce(payments.paid, 0) as open_amount,
        as_of.as_of_date,
        {{ dbt.datediff('invoices.due_date', 'as_of.as_of_date', 'day') }} as days_past_due

    from invoices
    cross join as_of
    left join payments on invoices.invoice_id = payments.invoice_id
    where invoices.total_amount - coalesce(payments.paid, 0) > 0

)

select
    open_invoices.*,
    case
        when days_past_due <= 0 then 'current'
        when days_past_due <= 30 then '1-30'
        when days_past_due <= 60 then '31-60'
        when days_past_due <= 90 then '61-90'
        else '91+'
    end as ageing_bucket

from open_invoices
