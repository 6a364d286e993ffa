{#- People per month and department: month-end headcount, hires, exits by kind, attrition and the
    payroll cost booked in the ledger. Definitions in the YAML. -#}
with

headcount as (

    select * from {{ ref('fct_headcount_monthly') }}

),

employments as (

    select * from {{ ref('stg_hr__employments') }}

),

versions as (

    select * from {{ ref('dim_employee') }}

),

ledger as (

    select * from {{ ref('fct_general_ledger') }}

),

departments as (

    select * from {{ ref('dim_department') }}

),

months as (

    select distinct
        month_end,
        cast({{ dbt.date_trunc('month', 'month_end') }} as date) as month

    from headcount

),

grid as (

    select months.month, months.month_end, departments.department_id, departments.department_name
    from months
    cross join departments

),

counts as (

    select month_end, department_id, count(*) as headcount
    from headcount
    group by month_end, department_id

),

-- a hire counts in the department the worker joined, an exit in the one they left
hires as (

    select
        cast({{ dbt.date_trunc('month', 'employments.hire_date') }} as date) as month,
        versions.department_id,
        count(*) as hires,
        sum(case when employments.is_rehire then 1 else 0 end) as rehires

    from employments
    inner join versions
        on versions.worker_id = employments.worker_id
        and versions.valid_from <= cast(employments.hire_date as timestamp)
        and versions.valid_to > cast(employments.hire_date as timestamp)
    group by 1, versions.department_id

),

exits as (

    select
        cast({{ dbt.date_trunc('month', 'employments.termination_date') }} as date) as month,
        versions.department_id,
        count(*) as exits,
        sum(case when employments.termination_kind = 'voluntary' then 1 else 0 end)
            as voluntary_exits,
        sum(case when employments.termination_kind = 'involuntary' then 1 else 0 end)
            as involuntary_exits,
        sum(case when employments.is_regrettable then 1 else 0 end) as regrettable_exits

    from employments
    inner join versions
        on versions.worker_id = employments.worker_id
        and versions.valid_from <= cast(employments.termination_date as timestamp)
        and versions.valid_to > cast(employments.termination_date as timestamp)
    where employments.termination_date is not null
    group by 1, versions.department_id

),

payroll as (

    select
        cast({{ dbt.date_trunc('month', 'entry_date') }} as date) as month,
        department_id,
        sum(adjusted_amount) as payroll_cost

    from ledger
    where account_name = 'Salaries and Wages'
    group by 1, department_id

),

joined as (

    select
        grid.month,
        grid.department_id,
        grid.department_name,
        coalesce(counts.headcount, 0) as headcount,
        lag(coalesce(counts.headcount, 0)) over (
            partition by grid.department_id order by grid.month
        ) as previous_headcount,
        coalesce(hires.hires, 0) as hires,
        coalesce(hires.rehires, 0) as rehires,
        coalesce(exits.exits, 0) as exits,
        coalesce(exits.voluntary_exits, 0) as voluntary_exits,
        coalesce(exits.involuntary_exits, 0) as involuntary_exits,
        coalesce(exits.regrettable_exits, 0) as regrettable_exits,
        coalesce(payroll.payroll_cost, 0) as payroll_cost

    from grid
    left join counts
        on grid.month_end = counts.month_end and grid.department_id = counts.department_id
    left join hires on grid.month = hires.month and grid.department_id = hires.department_id
    left join exits on grid.month = exits.month and grid.department_id = exits.department_id
    left join payroll
        on grid.month = payroll.month and grid.department_id = payroll.department_id

),

final as (

    select
        joined.*,
        cast(previous_headcount + headcount as double precision) / 2 as average_headcount,
        case
            when previous_headcount + headcount > 0
                then exits / (cast(previous_headcount + headcount as double precision) / 2)
        end as attrition_rate

    from joined

)

select * from final
