{#- Web traffic per day: requests, bytes, bots, visits, pages per visit and bounce rate. -#}
select
    {{ date_key('day') }} as date_key,
    day,
    requests,
    bytes,
    bot_requests,
    bot_share,
    sessions,
    pages_per_session,
    bounce_rate
from {{ ref('stg_spark__web_daily') }}
