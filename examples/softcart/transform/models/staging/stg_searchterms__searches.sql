with

source as (

    select * from {{ source('searchterms', 'searches') }}

),

renamed as (

    select
        ---------- ids
        source_file,
        cast(row_number as bigint) as line_number,

        ---------- text
        searchterm as search_term,

        ---------- date parts (as written in the export)
        cast(year as integer) as search_year,
        cast(month as integer) as search_month,
        cast(day as integer) as search_day

    from source

)

select * from renamed
