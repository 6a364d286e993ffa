with

source as (

    select * from {{ source('githost', 'reviews') }}

),

renamed as (

    select
        review_id,
        pull_request_id,
        user_id,
        state,
        submitted_at

    from source

)

select * from renamed
