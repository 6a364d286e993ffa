{#- One row per tracker issue with its cycle: first In Progress, last Done (after any reopen),
    cycle time between them, whether it is done now. -#}
with

issues as (

    select * from {{ ref('stg_tracker__issues') }}

),

transitions as (

    select * from {{ ref('fct_issue_transitions') }}

),

moments as (

    select
        issue_id,
        min(case when to_status = 'In Progress' then changed_at end) as started_at,
        max(case when to_status = 'Done' then changed_at end) as done_at,
        min(case when to_status = 'Done' then changed_at end) as first_done_at,
        sum(case when is_reopen then 1 else 0 end) as reopens

    from transitions
    group by issue_id

)

select
    issues.issue_id,
    issues.issue_key,
    issues.project_id,
    issues.issue_type,
    issues.priority,
    issues.status,
    issues.story_points,
    issues.sprint_id,
    issues.created_at,
    moments.started_at,
    moments.first_done_at,
    case when issues.status = 'Done' then moments.done_at end as done_at,
    issues.status = 'Done' as is_done,
    coalesce(moments.reopens, 0) as reopens,
    case when issues.status = 'Done' then
        {{ minutes_between('moments.started_at', 'moments.done_at') }}
    end as cycle_time_minutes,
    {{ date_key('issues.created_at') }} as date_key

from issues
left join moments on issues.issue_id = moments.issue_id
