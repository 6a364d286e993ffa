with

source as (

    select * from {{ source('weblogs', 'access_log') }}

),

renamed as (

    select
        ---------- ids
        source_file,
        cast(row_number as bigint) as line_number,

        ---------- request
        ip,
        method,
        path,
        protocol,
        referrer,
        user_agent,

        ---------- response
        cast(status as integer) as status,
        cast(bytes as bigint) as bytes,

        ---------- timestamps
        cast(time as timestamp) as requested_at

    from source

)

select * from renamed
