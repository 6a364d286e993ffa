{#- The sales the reports count: order lines of completed orders, with the attributes they
    group by. -#}
with

sales as (

    select * from {{ ref('fct_sales') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

countries as (

    select * from {{ ref('dim_country') }}

),

categories as (

    select * from {{ ref('dim_category') }}

),

final as (

    select
        sales.order_line_id,
        dates.year,
        countries.country,
        categories.category,
        sales.amount

    from sales
    inner join dates on sales.date_key = dates.date_key
    inner join countries on sales.country_id = countries.country_id
    inner join categories on sales.category_id = categories.category_id
    where sales.order_status = 'completed'

)

select * from final
