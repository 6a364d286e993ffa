{#- One row per worker employed on a month's last day (termination_date is the last day worked),
    with the department, job profile and salary in effect that day. From the month of the
    ledger's first entry, when the company's records begin. Salaries are personal data: this
    fact is for the platform; the BI role sees the aggregates of rpt_people_monthly. -#}
with

month_ends as (

    select date as month_end
    from {{ ref('dim_date') }}
    where is_month_end
        and date >= (select min(entry_date) from {{ ref('stg_finance__journal_entries') }})

),

employments as (

    select * from {{ ref('stg_hr__employments') }}

),

versions as (

    select * from {{ ref('dim_employee') }}

),

salaries as (

    select
        worker_id,
        effective_date,
        annual_salary,
        lead(effective_date) over (
            partition by worker_id order by effective_date, salary_id
        ) as next_effective_date

    from {{ ref('stg_hr__salaries') }}

),

final as (

    select
        month_ends.month_end,
        {{ date_key('month_ends.month_end') }} as date_key,
        employments.worker_id,
        employments.employment_id,
        versions.employee_key,
        versions.department_id,
        versions.job_profile_id,
        salaries.annual_salary,
        -- a twelfth to the cent, halves up, in whole cents: exact on every engine (DuckDB
        -- divides decimals in floating point)
        cast(
            floor((cast(salaries.annual_salary * 100 as bigint) + 6) / 12.0) / 100.0
            as decimal(14, 2)
        ) as monthly_salary

    from month_ends
    inner join employments
        on employments.hire_date <= month_ends.month_end
        and (employments.termination_date is null
             or employments.termination_date >= month_ends.month_end)
    inner join versions
        on versions.worker_id = employments.worker_id
        and versions.valid_from <= cast(month_ends.month_end as timestamp)
        and versions.valid_to > cast(month_ends.month_end as timestamp)
    left join salaries
        on salaries.worker_id = employments.worker_id
        and salaries.effective_date <= month_ends.month_end
        and (salaries.next_effective_date is null
             or salaries.next_effective_date > month_ends.month_end)

)

select * from final
