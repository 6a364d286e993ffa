{#- One row per visit to the web site, from the Spark web-analytics job. -#}
select
    ip || ':' || cast(session as varchar(12)) as session_id,
    {{ date_key('started_at') }} as date_key,
    ip,
    session,
    started_at,
    ended_at,
    requests,
    pages,
    bytes,
    is_bounce
from {{ ref('stg_spark__web_sessions') }}
