{#- The catalog's description of each product: its type and model, the screen size of products
    with a screen, and the document's other attributes as JSON text. -#}
with

catalog as (

    select * from {{ ref('stg_catalog__products') }}

),

final as (

    select
        ---------- keys
        product_id,
        document_id,

        ---------- attributes
        product_type,
        model,
        screen_size,
        screen_size is not null as has_screen,
        attributes

    from catalog

)

select * from final
