{#- The company per month: revenue, expenses, net income, month-end headcount and revenue per
    employee. smallest_payroll_group: the fewest workers any department's payroll of the month
    pays (NULL when none): the company's costs less those of the departments whose payroll is
    shown would give the payroll of one withheld, so the costs are only as shareable as the
    smallest payroll in them. -#}
with

pnl as (

    select
        month,
        sum(revenue) as revenue,
        sum(cost_of_goods_sold + expenses) as costs,
        sum(net_income) as net_income,
        min(people) as smallest_payroll_group

    from {{ ref('rpt_profit_and_loss_monthly') }}
    group by month

),

heads as (

    select
        cast({{ dbt.date_trunc('month', 'month_end') }} as date) as month,
        count(*) as headcount

    from {{ ref('fct_headcount_monthly') }}
    group by 1

)

select
    pnl.month,
    pnl.revenue,
    pnl.costs,
    pnl.net_income,
    heads.headcount,
    pnl.smallest_payroll_group,
    cast(pnl.revenue as double precision) / nullif(heads.headcount, 0) as revenue_per_employee

from pnl
left join heads on pnl.month = heads.month
