with

requests as (

    select * from {{ ref('stg_weblogs__access_log') }}

),

final as (

    select
        source_file || ':' || cast(line_number as varchar(20)) as request_id,
        {{ date_key('requested_at') }} as date_key,
        requested_at,
        ip,
        method,
        path,
        status,
        bytes,
        status >= 400 as is_error

    from requests

)

select * from final
