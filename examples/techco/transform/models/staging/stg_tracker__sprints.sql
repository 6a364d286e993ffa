with

source as (

    select * from {{ source('tracker', 'sprints') }}

),

renamed as (

    select
        sprint_id,
        name,
        state,
        project_id,
        cast(started_at at time zone 'UTC' as timestamp) as started_at,
        cast(ends_at at time zone 'UTC' as timestamp) as ends_at,
        cast(completed_at at time zone 'UTC' as timestamp) as completed_at

    from source

)

select * from renamed
