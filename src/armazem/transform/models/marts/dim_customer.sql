with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

countries as (

    select * from {{ ref('stg_shop__countries') }}

),

final as (

    select
        customers.customer_id,
        customers.email,
        customers.first_name,
        customers.last_name,
        customers.country_id,
        countries.country_name as country,
        customers.segment

    from customers
    left join countries on customers.country_id = countries.country_id

)

select * from final
