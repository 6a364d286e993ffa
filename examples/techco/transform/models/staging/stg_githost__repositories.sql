with

source as (

    select * from {{ source('githost', 'repositories') }}

),

renamed as (

    select
        repository_id,
        name,
        full_name,
        language,
        team,
        created_at

    from source

)

select * from renamed
