select
    week,
    searchterm,
    searches,
    previous,
    growth
from {{ source('spark', 'search_rising') }}
