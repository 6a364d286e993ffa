with

source as (

    select * from {{ source('tracker', 'projects') }}

),

renamed as (

    select
        project_id,
        project_key,
        name,
        category

    from source

)

select * from renamed
