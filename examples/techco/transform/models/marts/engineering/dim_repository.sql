with

repositories as (

    select * from {{ ref('stg_githost__repositories') }}

)

select
    repository_id,
    name as repository_name,
    full_name,
    team,
    language,
    created_at

from repositories
