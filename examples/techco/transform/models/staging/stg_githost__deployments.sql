with

source as (

    select * from {{ source('githost', 'deployments') }}

),

renamed as (

    select
        deployment_id,
        repository_id,
        sha,
        environment,
        creator_login,
        created_at

    from source

)

select * from renamed
