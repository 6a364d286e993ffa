{#- One row per search typed on the web site, with its day. The exports give the day as year,
    month and day numbers, so the key is built from them. -#}
with

searches as (

    select * from {{ ref('stg_searchterms__searches') }}

),

final as (

    select
        ---------- keys
        source_file || ':' || cast(line_number as varchar(20)) as search_id,
        search_year * 10000 + search_month * 100 + search_day as date_key,

        ---------- what was searched
        search_term,
        lower(trim(search_term)) as normalized_term

    from searches

)

select * from final
