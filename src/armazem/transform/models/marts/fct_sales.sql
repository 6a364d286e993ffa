{#- One row per order line of every order, cancelled ones included (see is_cancelled). -#}
with

order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

final as (

    select
        ---------- keys
        order_lines.order_line_id,
        order_lines.order_id,
        {{ date_key('orders.ordered_at') }} as date_key,
        orders.customer_id,
        customers.country_id,
        order_lines.product_id,
        products.category_id,

        ---------- when
        orders.ordered_at,

        ---------- measures
        order_lines.quantity,
        order_lines.unit_price,
        cast(order_lines.quantity * order_lines.unit_price as decimal(18, 2)) as amount,

        ---------- status
        orders.order_status,
        orders.order_status = 'cancelled' as is_cancelled

    from order_lines
    left join orders on order_lines.order_id = orders.order_id
    left join customers on orders.customer_id = customers.customer_id
    left join products on order_lines.product_id = products.product_id

)

select * from final
