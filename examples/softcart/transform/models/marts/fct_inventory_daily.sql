{#- A periodic snapshot of stock: one row per product and day on which its stock was counted,
    with the day's last count. The counts come from snp_shop__inventory, which keeps every count
    the shop's current-state inventory table has shown to a build.

    Incremental (merge on product_id and date_key): a run after the first reads the counts of the
    last 3 days before the newest one already here. `--full-refresh` rebuilds it from the
    snapshot with the same result, so no history is lost. -#}
{{
    config(
        materialized='incremental',
        unique_key=['product_id', 'date_key'],
        incremental_strategy='merge',
        on_schema_change='fail',
    )
}}

with

counts as (

    select * from {{ ref('snp_shop__inventory') }}
    {% if is_incremental() %}
    where updated_at > {{ incremental_cutoff('counted_at') }}
    {% endif %}

),

ranked as (

    select
        product_id,
        cast(updated_at as date) as inventory_date,
        quantity_on_hand,
        updated_at as counted_at,
        row_number() over (
            partition by product_id, cast(updated_at as date)
            order by updated_at desc
        ) as position

    from counts

),

final as (

    select
        ---------- keys
        product_id,
        {{ date_key('inventory_date') }} as date_key,

        ---------- when
        inventory_date,
        counted_at,

        ---------- measures
        quantity_on_hand

    from ranked
    where position = 1

)

select * from final
