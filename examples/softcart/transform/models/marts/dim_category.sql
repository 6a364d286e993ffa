with

categories as (

    select * from {{ ref('stg_shop__categories') }}

),

final as (

    select
        category_id,
        category_name as category

    from categories

)

select * from final
