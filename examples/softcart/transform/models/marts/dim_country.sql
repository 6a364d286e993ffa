with

countries as (

    select * from {{ ref('stg_shop__countries') }}

),

final as (

    select
        country_id,
        country_name as country,
        region

    from countries

)

select * from final
