with

source as (

    select * from {{ source('githost', 'pull_requests') }}

),

renamed as (

    select
        pull_request_id,
        repository_id,
        number,
        user_id,
        title,
        state,
        created_at,
        closed_at,
        merged_at,
        merge_commit_sha

    from source

)

select * from renamed
