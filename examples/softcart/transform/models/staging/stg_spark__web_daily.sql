select
    day,
    requests,
    bytes,
    bot_requests,
    bot_share,
    sessions,
    pages_per_session,
    bounce_rate
from {{ source('spark', 'web_daily') }}
