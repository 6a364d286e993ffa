{#- One row per deployment to production, with its outcome. A deployment is done when a status
    says success (Four Keys' GitHub parser takes the deployment_status event as the deploy); a
    successful deployment ships every commit that landed on its repository's default branch after
    the head of the previous successful one, up to its own head (see fct_changes). -#}
with

deployments as (

    select * from {{ ref('stg_githost__deployments') }}

),

statuses as (

    select * from {{ ref('stg_githost__deployment_statuses') }}

),

repositories as (

    select * from {{ ref('dim_repository') }}

),

commits as (

    select * from {{ ref('stg_githost__commits') }}

),

outcome as (

    select
        deployment_id,
        min(case when state = 'success' then created_at end) as succeeded_at,
        min(case when state = 'failure' then created_at end) as failed_at

    from statuses
    group by deployment_id

),

joined as (

    select
        deployments.deployment_id,
        deployments.repository_id,
        repositories.team,
        deployments.sha as head_sha,
        deployments.environment,
        deployments.created_at,
        outcome.succeeded_at as deployed_at,
        outcome.failed_at,
        outcome.succeeded_at is not null as is_successful,
        commits.committed_at as head_committed_at

    from deployments
    left join outcome on deployments.deployment_id = outcome.deployment_id
    left join repositories on deployments.repository_id = repositories.repository_id
    left join commits on deployments.sha = commits.sha

),

successful as (

    select
        deployment_id,
        lag(head_committed_at) over (
            partition by repository_id
            order by head_committed_at, deployed_at, deployment_id
        ) as previous_head_committed_at

    from joined
    where is_successful and environment = 'production'

),

final as (

    select
        joined.*,
        successful.previous_head_committed_at,
        {{ date_key('coalesce(joined.deployed_at, joined.created_at)') }} as date_key

    from joined
    left join successful on joined.deployment_id = successful.deployment_id

)

select * from final
