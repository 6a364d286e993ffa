{#- Support per month of ticket creation, for each priority and for all ('all'): volumes, first
    reply and full resolution in business minutes (median, p90), SLA attainment, CSAT and the
    reopen rate. Definitions in the YAML. -#}
with

tickets as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as month

    from {{ ref('fct_tickets') }}

),

scoped as (

    select tickets.*, tickets.priority as scope from tickets
    union all
    select tickets.*, 'all' as scope from tickets

),

final as (

    select
        month,
        scope as priority,
        count(*) as tickets,
        count(first_reply_at) as replied,
        count(solved_at) as solved,
        {{ median('first_reply_business_minutes') }} as median_first_reply_business_minutes,
        {{ percentile('first_reply_business_minutes', 0.9) }} as p90_first_reply_business_minutes,
        {{ median('full_resolution_business_minutes') }}
            as median_full_resolution_business_minutes,
        {{ percentile('full_resolution_business_minutes', 0.9) }}
            as p90_full_resolution_business_minutes,
        cast(sum(case when first_reply_at is not null and not is_first_reply_breached
                      then 1 else 0 end) as double precision)
            / nullif(count(first_reply_at), 0) as first_reply_sla_attainment,
        cast(sum(case when solved_at is not null and not is_full_resolution_breached
                      then 1 else 0 end) as double precision)
            / nullif(count(solved_at), 0) as full_resolution_sla_attainment,
        sum(case when satisfaction_score = 'good' then 1 else 0 end) as good_ratings,
        sum(case when satisfaction_score = 'bad' then 1 else 0 end) as bad_ratings,
        cast(sum(case when satisfaction_score = 'good' then 1 else 0 end) as double precision)
            / nullif(sum(case when satisfaction_score in ('good', 'bad') then 1 else 0 end), 0)
            as csat,
        cast(sum(case when is_reopened then 1 else 0 end) as double precision)
            / nullif(count(solved_at), 0) as reopen_rate

    from scoped
    group by month, scope

)

select * from final
