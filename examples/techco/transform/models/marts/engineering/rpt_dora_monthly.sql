{#- DORA's four keys per month, for each repository, each team and the whole company, computed
    as Google's Four Keys computes them (see the YAML for the query behind each figure) and
    bucketed into its performance tiers. A month is the calendar month (UTC) of the deployment
    (frequency, lead time, change failure rate) or of the incident's start (time to restore). -#}
with

repositories as (

    select * from {{ ref('dim_repository') }}

),

deployments as (

    select * from {{ ref('fct_deployments') }}
    where is_successful and environment = 'production'

),

changes as (

    select * from {{ ref('fct_changes') }}
    where deployment_id is not null

),

incidents as (

    select * from {{ ref('fct_incidents') }}

),

days as (

    select * from {{ ref('dim_date') }}

),

-- every repository counts at three levels: itself, its team, the company
scopes as (

    select repository_id, 'repository' as level, full_name as scope from repositories
    union all
    select repository_id, 'team' as level, team as scope from repositories
    union all
    select repository_id, 'company' as level, 'all' as scope from repositories

),

deploys as (

    select
        scopes.level,
        scopes.scope,
        deployments.deployment_id,
        cast({{ dbt.date_trunc('month', 'deployments.deployed_at') }} as date) as month,
        cast(deployments.deployed_at as date) as deploy_day

    from deployments
    inner join scopes on deployments.repository_id = scopes.repository_id

),

months as (

    select distinct days.month_start as month
    from days
    where days.month_start >= (select min(month) from deploys)
        and days.month_start <= (select max(month) from deploys)

),

grid as (

    select distinct months.month, scopes.level, scopes.scope
    from months
    cross join scopes

),

-- Deployment frequency (METRICS.md, "Calculating the bucket"): per week of the month, whether
-- any day had a deployment and on how many days.
weeks as (

    select
        grid.month,
        grid.level,
        grid.scope,
        days.week_start,
        count(distinct deploys.deploy_day) as days_deployed,
        max(case when deploys.deploy_day is not null then 1 else 0 end) as week_deployed

    from grid
    inner join days on days.month_start = grid.month
    left join deploys
        on deploys.level = grid.level
        and deploys.scope = grid.scope
        and deploys.deploy_day = days.date
    group by grid.month, grid.level, grid.scope, days.week_start

),

frequency as (

    select
        weeks.month,
        weeks.level,
        weeks.scope,
        {{ median('weeks.days_deployed') }} as median_days_deployed_per_week,
        {{ median('weeks.week_deployed') }} as median_week_deployed

    from weeks
    group by weeks.month, weeks.level, weeks.scope

),

deploy_counts as (

    select
        month,
        level,
        scope,
        count(distinct deployment_id) as deployments,
        count(distinct deploy_day) as deployment_days

    from deploys
    group by month, level, scope

),

-- Lead time for changes (lead_time_for_changes.sql): the median over the changes deployed,
-- ignoring those with no positive time (automated pushes).
lead_times as (

    select
        cast({{ dbt.date_trunc('month', 'changes.deployed_at') }} as date) as month,
        scopes.level,
        scopes.scope,
        count(*) as changes_deployed,
        {{ median('case when changes.lead_time_minutes > 0 then changes.lead_time_minutes end') }}
            as median_lead_time_minutes

    from changes
    inner join scopes on changes.repository_id = scopes.repository_id
    group by 1, scopes.level, scopes.scope

),

-- Change failure rate (change_failure_rate.sql): deployments (with changes) one of whose changes
-- is the root cause of an incident, over deployments with changes.
deploy_failures as (

    select
        changes.deployment_id,
        changes.repository_id,
        cast({{ dbt.date_trunc('month', 'changes.deployed_at') }} as date) as month,
        max(case when incidents.incident_id is not null then 1 else 0 end) as caused_incident

    from changes
    left join incidents on incidents.root_cause_sha = changes.change_id
    group by changes.deployment_id, changes.repository_id, 3

),

failure_rates as (

    select
        deploy_failures.month,
        scopes.level,
        scopes.scope,
        count(*) as deployments_with_changes,
        sum(deploy_failures.caused_incident) as failed_deployments

    from deploy_failures
    inner join scopes on deploy_failures.repository_id = scopes.repository_id
    group by deploy_failures.month, scopes.level, scopes.scope

),

-- Time to restore services (time_to_restore_services.sql): the median time from an incident's
-- start to its resolution, over incidents resolved.
restores as (

    select
        cast({{ dbt.date_trunc('month', 'incidents.started_at') }} as date) as month,
        scopes.level,
        scopes.scope,
        count(*) as incidents,
        {{ median('incidents.time_to_restore_minutes') }} as median_time_to_restore_minutes

    from incidents
    inner join scopes on incidents.repository_id = scopes.repository_id
    group by 1, scopes.level, scopes.scope

),

joined as (

    select
        grid.month,
        grid.level,
        grid.scope,
        coalesce(deploy_counts.deployments, 0) as deployments,
        coalesce(deploy_counts.deployment_days, 0) as deployment_days,
        frequency.median_days_deployed_per_week,
        frequency.median_week_deployed,
        coalesce(lead_times.changes_deployed, 0) as changes_deployed,
        lead_times.median_lead_time_minutes,
        coalesce(failure_rates.deployments_with_changes, 0) as deployments_with_changes,
        coalesce(failure_rates.failed_deployments, 0) as failed_deployments,
        coalesce(restores.incidents, 0) as incidents,
        restores.median_time_to_restore_minutes

    from grid
    left join frequency
        on grid.month = frequency.month and grid.level = frequency.level
        and grid.scope = frequency.scope
    left join deploy_counts
        on grid.month = deploy_counts.month and grid.level = deploy_counts.level
        and grid.scope = deploy_counts.scope
    left join lead_times
        on grid.month = lead_times.month and grid.level = lead_times.level
        and grid.scope = lead_times.scope
    left join failure_rates
        on grid.month = failure_rates.month and grid.level = failure_rates.level
        and grid.scope = failure_rates.scope
    left join restores
        on grid.month = restores.month and grid.level = restores.level
        and grid.scope = restores.scope

),

final as (

    select
        joined.*,
        case
            when median_days_deployed_per_week >= 3 then 'Daily'
            when median_week_deployed >= 1 then 'Weekly'
            when deployments >= 1 then 'Monthly'
            else 'Yearly'
        end as deployment_frequency,
        case
            when median_lead_time_minutes is null then null
            when median_lead_time_minutes < 24 * 60 then 'One day'
            when median_lead_time_minutes < 168 * 60 then 'One week'
            when median_lead_time_minutes < 730 * 60 then 'One month'
            when median_lead_time_minutes < 730 * 6 * 60 then 'Six months'
            else 'One year'
        end as lead_time_tier,
        case
            when deployments_with_changes > 0
                then cast(failed_deployments as double precision) / deployments_with_changes
        end as change_failure_rate,
        case
            when deployments_with_changes = 0 then null
            when cast(failed_deployments as double precision) / deployments_with_changes <= 0.15
                then '0-15%'
            when cast(failed_deployments as double precision) / deployments_with_changes < 0.46
                then '16-45%'
            else '46-60%'
        end as change_failure_tier,
        case
            when median_time_to_restore_minutes is null then null
            when median_time_to_restore_minutes < 24 * 60 then 'One day'
            when median_time_to_restore_minutes < 168 * 60 then 'One week'
            when median_time_to_restore_minutes < 730 * 60 then 'One month'
            when median_time_to_restore_minutes < 730 * 6 * 60 then 'Six months'
            else 'One year'
        end as time_to_restore_tier

    from joined

)

select * from final
