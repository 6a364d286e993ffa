select
    ip,
    session,
    started_at,
    ended_at,
    requests,
    pages,
    bytes,
    is_bounce
from {{ source('spark', 'web_sessions') }}
