{#- Monthly sales per category: the actual months and the next twelve forecast by Spark ML,
    with a 95 % interval from the error on the months held out. -#}
select
    f.category,
    f.month,
    {{ date_key('f.month') }} as date_key,
    f.actual,
    f.predicted,
    f.lower,
    f.upper,
    f.is_forecast,
    e.rmse as holdout_rmse,
    e.mape as holdout_mape
from {{ ref('stg_forecast__sales') }} as f
left join {{ source('forecast', 'errors') }} as e on e.series = f.category
