{#- The latest week's search terms, most searched first, with their growth on the week before. -#}
select
    week,
    searchterm,
    searches,
    previous,
    growth
from {{ ref('stg_spark__search_rising') }}
