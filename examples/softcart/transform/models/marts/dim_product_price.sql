{#- A product's prices over time, as a type 2 dimension: one row per price a product has had,
    from the shop's price history. Each price is valid from when it was set (inclusive) to when
    the next was set (exclusive); the first from the beginning of time, the current one to the
    end of time. -#}
with

prices as (

    select * from {{ ref('stg_shop__price_history') }}

),

ordered as (

    select
        prices.*,
        row_number() over (
            partition by prices.product_id order by prices.valid_from, prices.price_id
        ) as version_number,
        lead(prices.valid_from) over (
            partition by prices.product_id order by prices.valid_from, prices.price_id
        ) as next_valid_from

    from prices

),

final as (

    select
        ---------- keys
        {{ surrogate_key(['product_id', 'version_number']) }} as product_key,
        product_id,
        version_number,
        price_id,

        ---------- attributes
        price,

        ---------- validity
        case
            when version_number = 1 then {{ beginning_of_time() }}
            else valid_from
        end as valid_from,
        coalesce(next_valid_from, {{ end_of_time() }}) as valid_to,
        next_valid_from is null as is_current,
        valid_from as set_at

    from ordered

)

select * from final
