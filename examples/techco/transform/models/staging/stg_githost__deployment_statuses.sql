with

source as (

    select * from {{ source('githost', 'deployment_statuses') }}

),

renamed as (

    select
        status_id,
        deployment_id,
        state,
        created_at

    from source

)

select * from renamed
