select
    series as category,
    month,
    actual,
    predicted,
    lower,
    upper,
    is_forecast
from {{ source('forecast', 'sales') }}
