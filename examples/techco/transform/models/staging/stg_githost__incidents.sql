with

source as (

    select * from {{ source('githost', 'incidents') }}

),

renamed as (

    select
        issue_id,
        repository_id,
        number,
        title,
        body,
        -- the commit the incident names as its cause: `root cause: <40 hex digits>`
        case
            when position('root cause: ' in body) > 0
                then substring(body, position('root cause: ' in body) + 12, 40)
        end as root_cause_sha,
        state,
        created_at,
        closed_at

    from source

)

select * from renamed
