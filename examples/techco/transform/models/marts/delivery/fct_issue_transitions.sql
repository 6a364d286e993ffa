{#- One row per status change of a tracker issue, with the status it left and how long the issue
    had been in it (from its creation, for the first change). -#}
with

changes as (

    select * from {{ ref('stg_tracker__changelog') }}
    where field = 'status'

),

issues as (

    select * from {{ ref('stg_tracker__issues') }}

),

ordered as (

    select
        changes.*,
        coalesce(
            lag(changes.changed_at) over (
                partition by changes.issue_id order by changes.changed_at, changes.history_id
            ),
            issues.created_at
        ) as entered_from_status_at

    from changes
    inner join issues on changes.issue_id = issues.issue_id

)

select
    history_id as transition_id,
    issue_id,
    from_status,
    to_status,
    changed_at,
    entered_from_status_at,
    {{ minutes_between('entered_from_status_at', 'changed_at') }} as minutes_in_from_status,
    from_status = 'Done' and to_status = 'Reopened' as is_reopen,
    {{ date_key('changed_at') }} as date_key

from ordered
