with

source as (

    select * from {{ source('helpdesk', 'comments') }}

),

renamed as (

    select
        comment_id,
        ticket_id,
        cast(created_at at time zone 'UTC' as timestamp) as created_at,
        author_id,
        public,
        body

    from source

)

select * from renamed
