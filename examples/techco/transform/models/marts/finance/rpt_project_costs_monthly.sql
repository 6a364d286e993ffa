{#- Cost per project and month: the direct costs booked to the project (expense lines tagged
    with it) plus payroll allocated by worklog hours: each worker's monthly salary is shared among
    the projects they logged time on that month, in proportion to the hours. Salary not covered
    by any worklog stays unallocated. Revenue is what the project invoiced. people: the workers
    whose salary is allocated to the row, NULL when none is. -#}
with

ledger as (

    select * from {{ ref('fct_general_ledger') }}

),

headcount as (

    select * from {{ ref('fct_headcount_monthly') }}

),

worklogs as (

    select * from {{ ref('stg_tracker__worklogs') }}

),

issues as (

    select * from {{ ref('stg_tracker__issues') }}

),

accounts as (

    select * from {{ ref('stg_tracker__users') }}

),

workers as (

    select * from {{ ref('stg_hr__workers') }}

),

-- the tracker knows people by account; HR by worker: their e-mail joins the two
hours as (

    select
        cast({{ dbt.date_trunc('month', 'worklogs.started_at') }} as date) as month,
        workers.worker_id,
        issues.project_id,
        sum(worklogs.seconds) / 3600.0 as hours

    from worklogs
    inner join issues on worklogs.issue_id = issues.issue_id
    inner join accounts on worklogs.author_account_id = accounts.account_id
    inner join workers on lower(accounts.email) = lower(workers.email)
    group by 1, workers.worker_id, issues.project_id

),

shares as (

    select
        hours.*,
        hours.hours / sum(hours.hours) over (partition by hours.month, hours.worker_id) as share

    from hours

),

allocated as (

    select
        shares.month,
        shares.project_id,
        sum(shares.hours) as hours_logged,
        sum(headcount.monthly_salary * shares.share) as allocated_payroll,
        count(distinct shares.worker_id) as people

    from shares
    inner join headcount
        on headcount.worker_id = shares.worker_id
        and cast({{ dbt.date_trunc('month', 'headcount.month_end') }} as date) = shares.month
    group by shares.month, shares.project_id

),

direct as (

    select
        cast({{ dbt.date_trunc('month', 'entry_date') }} as date) as month,
        project_id,
        sum(case when classification = 'Expense' then adjusted_amount else 0 end)
            as direct_costs,
        sum(case when classification = 'Revenue' then adjusted_amount else 0 end) as revenue

    from ledger
    where project_id is not null
    group by 1, project_id

),

keys as (

    select month, project_id from allocated
    union
    select month, project_id from direct

)

select
    keys.month,
    keys.project_id,
    coalesce(direct.revenue, 0) as revenue,
    coalesce(direct.direct_costs, 0) as direct_costs,
    coalesce(allocated.hours_logged, 0) as hours_logged,
    round(coalesce(allocated.allocated_payroll, 0), 2) as allocated_payroll,
    coalesce(direct.direct_costs, 0) + round(coalesce(allocated.allocated_payroll, 0), 2)
        as total_cost,
    allocated.people

from keys
left join direct on keys.month = direct.month and keys.project_id = direct.project_id
left join allocated on keys.month = allocated.month and keys.project_id = allocated.project_id
