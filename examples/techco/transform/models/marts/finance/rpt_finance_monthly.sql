{#- The company per month: revenue, expenses, net income, month-end headcount and revenue per
    employee. -#}
with

pnl as (

    select
        month,
        sum(revenue) as revenue,
        sum(cost_of_goods_sold + expenses) as costs,
        sum(net_income) as net_income

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
    cast(pnl.revenue as double precision) / nullif(heads.headcount, 0) as revenue_per_employee

from pnl
left join heads on pnl.month = heads.month
