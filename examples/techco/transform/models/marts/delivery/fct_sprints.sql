{#- One row per sprint: the issues committed at its start (filed into it and created before it
    began), those added later, and how many of each were done by its end, in issues and points. -#}
with

sprints as (

    select * from {{ ref('stg_tracker__sprints') }}

),

issues as (

    select * from {{ ref('fct_issues') }}

),

scoped as (

    select
        sprints.sprint_id,
        issues.issue_id,
        coalesce(issues.story_points, 0) as points,
        issues.created_at <= sprints.started_at as is_committed,
        issues.first_done_at is not null and issues.first_done_at <= sprints.ends_at as is_completed

    from sprints
    inner join issues on issues.sprint_id = sprints.sprint_id

)

select
    sprints.sprint_id,
    sprints.project_id,
    sprints.name as sprint_name,
    sprints.state,
    sprints.started_at,
    sprints.ends_at,
    coalesce(sum(case when scoped.is_committed then 1 else 0 end), 0) as committed_issues,
    coalesce(sum(case when not scoped.is_committed then 1 else 0 end), 0) as added_issues,
    coalesce(sum(case when scoped.is_committed and scoped.is_completed then 1 else 0 end), 0)
        as completed_committed_issues,
    coalesce(sum(case when scoped.is_completed then 1 else 0 end), 0) as completed_issues,
    coalesce(sum(case when scoped.is_committed then scoped.points else 0 end), 0)
        as committed_points,
    coalesce(sum(case when scoped.is_committed and scoped.is_completed then scoped.points
                      else 0 end), 0) as completed_committed_points,
    cast(sum(case when scoped.is_committed and scoped.is_completed then scoped.points else 0 end)
         as double precision)
        / nullif(sum(case when scoped.is_committed then scoped.points else 0 end), 0)
        as commitment_completion

from sprints
left join scoped on sprints.sprint_id = scoped.sprint_id
group by sprints.sprint_id, sprints.project_id, sprints.name, sprints.state, sprints.started_at,
    sprints.ends_at
