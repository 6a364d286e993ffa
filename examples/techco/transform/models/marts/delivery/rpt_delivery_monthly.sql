{#- Delivery per month and project: throughput and cycle time (p50, p85) of the issues finished
    in the month, issues open at its end and their median age, and sprint commitment. -#}
with

issues as (

    select * from {{ ref('fct_issues') }}

),

sprints as (

    select * from {{ ref('fct_sprints') }}

),

months as (

    select date as month_end, month_start as month
    from {{ ref('dim_date') }}
    where is_month_end
        and date >= (select cast(min(created_at) as date) from issues)
        and month_start <= (select cast(max(created_at) as date) from issues)

),

projects as (

    select * from {{ ref('dim_project') }}

),

finished as (

    select
        cast({{ dbt.date_trunc('month', 'done_at') }} as date) as month,
        project_id,
        count(*) as throughput,
        {{ median('cycle_time_minutes') }} as p50_cycle_time_minutes,
        {{ percentile('cycle_time_minutes', 0.85) }} as p85_cycle_time_minutes

    from issues
    where is_done
    group by 1, project_id

),

-- open at the month's end: created by then and not done by then (from the status history)
spans as (

    select
        issue_id,
        to_status,
        changed_at as valid_from,
        coalesce(
            lead(changed_at) over (partition by issue_id order by changed_at, transition_id),
            cast('9999-12-31 00:00:00' as timestamp)
        ) as valid_to

    from {{ ref('fct_issue_transitions') }}

),

open_at_end as (

    select
        months.month,
        issues.project_id,
        count(*) as open_issues,
        {{ median(dbt.datediff('issues.created_at', 'cast(months.month_end as timestamp)', 'day')) }}
            as median_open_age_days

    from months
    inner join issues
        on issues.created_at < cast({{ dbt.dateadd('day', 1, 'months.month_end') }} as timestamp)
    where not exists (
        select 1 from spans
        where spans.issue_id = issues.issue_id
            and spans.to_status = 'Done'
            and spans.valid_from < cast({{ dbt.dateadd('day', 1, 'months.month_end') }} as timestamp)
            and spans.valid_to >= cast({{ dbt.dateadd('day', 1, 'months.month_end') }} as timestamp)
    )
    group by months.month, issues.project_id

),

sprint_months as (

    select
        cast({{ dbt.date_trunc('month', 'ends_at') }} as date) as month,
        project_id,
        sum(committed_points) as committed_points,
        sum(completed_committed_points) as completed_committed_points

    from sprints
    where state = 'closed'
    group by 1, project_id

)

select
    months.month,
    projects.project_id,
    projects.project_key,
    coalesce(finished.throughput, 0) as throughput,
    finished.p50_cycle_time_minutes,
    finished.p85_cycle_time_minutes,
    coalesce(open_at_end.open_issues, 0) as open_issues,
    open_at_end.median_open_age_days,
    sprint_months.committed_points,
    sprint_months.completed_committed_points,
    cast(sprint_months.completed_committed_points as double precision)
        / nullif(sprint_months.committed_points, 0) as commitment_completion

from months
cross join projects
left join finished
    on months.month = finished.month and projects.project_id = finished.project_id
left join open_at_end
    on months.month = open_at_end.month and projects.project_id = open_at_end.project_id
left join sprint_months
    on months.month = sprint_months.month and projects.project_id = sprint_months.project_id
