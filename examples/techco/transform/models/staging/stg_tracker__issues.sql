with

source as (

    select * from {{ source('tracker', 'issues') }}

),

renamed as (

    select
        issue_id,
        issue_key,
        project_id,
        issue_type,
        status,
        priority,
        assignee_account_id,
        reporter_account_id,
        cast(created_at at time zone 'UTC' as timestamp) as created_at,
        cast(updated_at at time zone 'UTC' as timestamp) as updated_at,
        cast(resolved_at at time zone 'UTC' as timestamp) as resolved_at,
        story_points,
        sprint_id,
        summary

    from source

)

select * from renamed
