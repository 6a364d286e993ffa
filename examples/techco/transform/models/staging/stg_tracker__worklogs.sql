with

source as (

    select * from {{ source('tracker', 'worklogs') }}

),

renamed as (

    select
        worklog_id,
        issue_id,
        author_account_id,
        cast(started_at at time zone 'UTC' as timestamp) as started_at,
        seconds

    from source

)

select * from renamed
