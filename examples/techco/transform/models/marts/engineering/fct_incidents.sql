{#- One row per incident: an issue labelled incident, whose body names its root cause commit.
    As Four Keys' incidents.sql: the incident starts at the earlier of the issue's creation and
    the deployment that shipped its root cause, and is restored when the issue is closed. -#}
with

incidents as (

    select * from {{ ref('stg_githost__incidents') }}

),

changes as (

    select * from {{ ref('fct_changes') }}

),

final as (

    select
        incidents.issue_id as incident_id,
        incidents.repository_id,
        incidents.number,
        incidents.root_cause_sha,
        changes.deployment_id as root_cause_deployment_id,
        changes.deployed_at as root_cause_deployed_at,
        incidents.created_at as opened_at,
        case
            when changes.deployed_at < incidents.created_at then changes.deployed_at
            else incidents.created_at
        end as started_at,
        incidents.closed_at as resolved_at,
        case
            when incidents.closed_at is not null then {{ minutes_between(
                "case when changes.deployed_at < incidents.created_at then changes.deployed_at "
                ~ "else incidents.created_at end", 'incidents.closed_at') }}
        end as time_to_restore_minutes,
        {{ date_key('incidents.created_at') }} as date_key

    from incidents
    left join changes on incidents.root_cause_sha = changes.change_id

)

select * from final
