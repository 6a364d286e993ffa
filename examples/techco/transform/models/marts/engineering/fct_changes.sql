{#- One row per commit on a default branch (a change, in Four Keys' words), with the successful
    deployment that shipped it: the first one whose head landed at or after it. Lead time is the
    whole minutes from the commit's author time to that deployment (Four Keys' changes.sql and
    lead_time_for_changes.sql); null while the commit is not deployed. -#}
with

commits as (

    select * from {{ ref('stg_githost__commits') }}

),

deployments as (

    select * from {{ ref('fct_deployments') }}
    where is_successful and environment = 'production'

),

final as (

    select
        commits.sha as change_id,
        commits.repository_id,
        commits.author_user_id,
        commits.authored_at,
        commits.committed_at,
        deployments.deployment_id,
        deployments.deployed_at,
        {{ minutes_between('commits.authored_at', 'deployments.deployed_at') }}
            as lead_time_minutes,
        {{ date_key('commits.authored_at') }} as date_key

    from commits
    left join deployments
        on commits.repository_id = deployments.repository_id
        and commits.committed_at <= deployments.head_committed_at
        and (
            deployments.previous_head_committed_at is null
            or commits.committed_at > deployments.previous_head_committed_at
        )

)

select * from final
