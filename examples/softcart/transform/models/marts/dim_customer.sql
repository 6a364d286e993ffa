{#- Customers as a slowly changing dimension of type 2: one row per version of a customer, from
    the snapshot snp_shop__customers. A version is valid from valid_from (inclusive) to valid_to
    (exclusive); a customer's first version is valid from the beginning of time, the current one
    to the end of time, so every moment finds exactly one version of each customer. -#}
with

versions as (

    select * from {{ ref('snp_shop__customers') }}

),

countries as (

    select * from {{ ref('stg_shop__countries') }}

),

numbered as (

    select
        versions.*,
        row_number() over (
            partition by versions.customer_id
            order by versions.dbt_valid_from, versions.dbt_scd_id
        ) as version_number

    from versions

),

final as (

    select
        ---------- keys
        {{ surrogate_key(['numbered.customer_id', 'numbered.version_number']) }} as customer_key,
        numbered.customer_id,
        numbered.version_number,

        ---------- attributes
        numbered.email,
        numbered.first_name,
        numbered.last_name,
        numbered.country_id,
        countries.country_name as country,
        numbered.segment,

        ---------- validity
        case
            when numbered.version_number = 1 then {{ beginning_of_time() }}
            else numbered.dbt_valid_from
        end as valid_from,
        coalesce(numbered.dbt_valid_to, {{ end_of_time() }}) as valid_to,
        numbered.dbt_valid_to is null as is_current,
        numbered.dbt_valid_from as recorded_from

    from numbered
    left join countries on numbered.country_id = countries.country_id

)

select * from final
