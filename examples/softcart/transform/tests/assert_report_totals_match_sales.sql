{#- Every sales report's grand total equals the completed sales in fct_sales; a row here is a
    report that lost or double-counted sales. -#}
with

completed as (

    select cast(sum(amount) as decimal(18, 2)) as total_sales
    from {{ ref('fct_sales') }}
    where order_status = 'completed'

),

report_totals as (

    select 'rpt_sales_by_year_country' as report, total_sales
    from {{ ref('rpt_sales_by_year_country') }}
    where grouping_level = 'total'

    union all

    select 'rpt_sales_by_country_category' as report, total_sales
    from {{ ref('rpt_sales_by_country_category') }}
    where grouping_level = 'total'

    union all

    select 'rpt_total_sales_per_country' as report, cast(sum(total_sales) as decimal(18, 2))
    from {{ ref('rpt_total_sales_per_country') }}

    union all

    select 'rpt_monthly_sales' as report, cast(sum(total_sales) as decimal(18, 2))
    from {{ ref('rpt_monthly_sales') }}

    union all

    select 'rpt_sales_by_category' as report, cast(sum(total_sales) as decimal(18, 2))
    from {{ ref('rpt_sales_by_category') }}

    union all

    select 'rpt_quarterly_sales_by_item' as report, cast(sum(total_sales) as decimal(18, 2))
    from {{ ref('rpt_quarterly_sales_by_item') }}

)

select
    report_totals.report,
    report_totals.total_sales,
    completed.total_sales as expected

from report_totals
cross join completed
where report_totals.total_sales <> completed.total_sales

