with

source as (

    select * from {{ source('tracker', 'changelog') }}

),

renamed as (

    select
        history_id,
        issue_id,
        cast(changed_at at time zone 'UTC' as timestamp) as changed_at,
        author_account_id,
        field,
        from_status,
        to_status

    from source

)

select * from renamed
