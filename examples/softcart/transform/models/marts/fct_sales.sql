{#- One row per order line of every order, cancelled ones included (see is_cancelled), keyed to
    the customer and price versions valid when the order was placed.

    Incremental (merge on order_line_id). A run after the first builds again:
    - the lines of orders updated in the 3 days before the newest updated_at already here: new
      and late-arriving orders, and cancellations of old orders (which move updated_at);
    - lines newer than any here (a line added to an old order without touching the order).
    That also re-keys the sales a new customer or price version affects: a version recorded in
    the window starts in it (its valid_from is the change's time), and an order placed since
    then has been updated since then (an order's updated_at is never before its ordered_at).
    A change recorded with a time older than the window is seen only by a full refresh.
    `dbt build --full-refresh` rebuilds the model with the same result. -#}
{{
    config(
        materialized='incremental',
        unique_key='order_line_id',
        incremental_strategy='merge',
        on_schema_change='fail',
    )
}}

with

order_lines as (

    select * from {{ ref('stg_shop__order_lines') }}

),

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

prices as (

    select * from {{ ref('dim_product_price') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

{% if is_incremental() %}

bounds as (

    select
        {{ incremental_cutoff('updated_at') }} as cutoff,
        (select max(previous.order_line_id) from {{ this }} as previous) as last_line

),

{% endif %}

{#- The order lines to (re)build with their order: all of them, or in an incremental run those
    that may have changed, found in one pass over the lines. -#}
batch as (

    select
        order_lines.order_line_id,
        order_lines.order_id,
        order_lines.product_id,
        order_lines.quantity,
        order_lines.unit_price,
        orders.customer_id,
        orders.ordered_at,
        orders.updated_at,
        orders.order_status

    from order_lines
    left join orders on order_lines.order_id = orders.order_id
    {% if is_incremental() %}
    cross join bounds
    where orders.updated_at > bounds.cutoff or order_lines.order_line_id > bounds.last_line
    {% endif %}

),

final as (

    select
        ---------- keys
        batch.order_line_id,
        batch.order_id,
        {{ date_key('batch.ordered_at') }} as date_key,
        batch.customer_id,
        customers.customer_key,
        customers.country_id,
        batch.product_id,
        prices.product_key,
        products.category_id,

        ---------- when
        batch.ordered_at,
        batch.updated_at,

        ---------- measures
        batch.quantity,
        batch.unit_price,
        cast(batch.quantity * batch.unit_price as decimal(18, 2)) as amount,

        ---------- status
        batch.order_status,
        batch.order_status = 'cancelled' as is_cancelled

    from batch
    left join customers
        on batch.customer_id = customers.customer_id
        and batch.ordered_at >= customers.valid_from
        and batch.ordered_at < customers.valid_to
    left join prices
        on batch.product_id = prices.product_id
        and batch.ordered_at >= prices.valid_from
        and batch.ordered_at < prices.valid_to
    left join products on batch.product_id = products.product_id

)

select * from final
