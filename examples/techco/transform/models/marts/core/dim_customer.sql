select
    customer_id,
    name as customer_name,
    created_at as customer_since

from {{ ref('stg_finance__customers') }}
