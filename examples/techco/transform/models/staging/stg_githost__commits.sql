with

source as (

    select * from {{ source('githost', 'commits') }}

),

renamed as (

    select
        sha,
        repository_id,
        author_user_id,
        author_email,
        authored_at,
        committed_at,
        message

    from source

)

select * from renamed
