{#- The profit and loss per month and department (dbt_quickbooks' profit_and_loss): revenue,
    cost of goods sold and expenses from the lines booked to income-statement accounts, signed by
    the ledger's rules; net income = revenue - cost of goods sold - expenses. people: the workers
    whose pay is in the row's payroll, NULL when it has none. -#}
with

ledger as (

    select * from {{ ref('fct_general_ledger') }}
    where classification in ('Revenue', 'Expense')

),

final as (

    select
        cast({{ dbt.date_trunc('month', 'entry_date') }} as date) as month,
        department_id,
        sum(case when classification = 'Revenue' then adjusted_amount else 0 end) as revenue,
        sum(case when account_type = 'Cost of Goods Sold' then adjusted_amount else 0 end)
            as cost_of_goods_sold,
        sum(case when classification = 'Expense' and account_type <> 'Cost of Goods Sold'
                 then adjusted_amount else 0 end) as expenses,
        sum(case when account_name = 'Salaries and Wages' then adjusted_amount else 0 end)
            as payroll,
        sum(case when account_name = 'Salaries and Wages' then people end) as people,
        sum(case when classification = 'Revenue' then adjusted_amount else -adjusted_amount end)
            as net_income

    from ledger
    group by 1, department_id

)

select * from final
