{#- One row per HTTP request in the access logs.

    Incremental (merge on request_id): a run after the first reads again the requests from the
    last 3 days before the newest one already here; the log files are append-only, so that
    catches the day's file growing and a file that arrives a little late. -#}
{{
    config(
        materialized='incremental',
        unique_key='request_id',
        incremental_strategy='merge',
        on_schema_change='fail',
    )
}}

with

requests as (

    select * from {{ ref('stg_weblogs__access_log') }}
    {% if is_incremental() %}
    where requested_at > {{ incremental_cutoff('requested_at') }}
    {% endif %}

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
