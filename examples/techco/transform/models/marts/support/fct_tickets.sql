{#- One row per helpdesk ticket, with the times dbt_zendesk measures: first reply (the first
    public comment by someone other than the requester) and full resolution (the last time the
    ticket was solved), each in calendar minutes and in business minutes of the support
    schedule; the SLA targets of its priority and whether they were breached; reopens; the
    satisfaction rating. -#}
with

tickets as (

    select * from {{ ref('stg_helpdesk__tickets') }}

),

comments as (

    select * from {{ ref('stg_helpdesk__comments') }}

),

history as (

    select * from {{ ref('stg_helpdesk__status_history') }}
    where field_name = 'status'

),

policies as (

    select * from {{ ref('stg_helpdesk__sla_policies') }}

),

ratings as (

    select * from {{ ref('stg_helpdesk__satisfaction') }}

),

hours as (

    select * from {{ ref('int_business_hours') }}

),

first_replies as (

    select
        comments.ticket_id,
        min(comments.created_at) as first_reply_at

    from comments
    inner join tickets on comments.ticket_id = tickets.ticket_id
    where comments.public and comments.author_id <> tickets.requester_id
    group by comments.ticket_id

),

changes as (

    select
        history.ticket_id,
        history.updated_at,
        history.value as status,
        lag(history.value) over (
            partition by history.ticket_id order by history.updated_at
        ) as previous_status,
        row_number() over (
            partition by history.ticket_id order by history.updated_at desc
        ) as recency

    from history

),

statuses as (

    select
        ticket_id,
        max(case when recency = 1 then status end) as status,
        max(case when status = 'solved' then updated_at end) as solved_at,
        sum(case when previous_status = 'solved' and status = 'open' then 1 else 0 end)
            as reopens

    from changes
    group by ticket_id

),

times as (

    select
        tickets.ticket_id,
        tickets.created_at,
        first_replies.first_reply_at,
        statuses.solved_at

    from tickets
    left join first_replies on tickets.ticket_id = first_replies.ticket_id
    left join statuses on tickets.ticket_id = statuses.ticket_id

),

-- business minutes: the overlap of [created_at, event) with each working interval
reply_business as (

    select
        times.ticket_id,
        sum(extract(epoch from (
            case when times.first_reply_at < hours.closes_at
                then times.first_reply_at else hours.closes_at end
            - case when times.created_at > hours.opens_at
                then times.created_at else hours.opens_at end
        )) / 60) as minutes

    from times
    inner join hours
        on hours.opens_at < times.first_reply_at and hours.closes_at > times.created_at
    group by times.ticket_id

),

resolution_business as (

    select
        times.ticket_id,
        sum(extract(epoch from (
            case when times.solved_at < hours.closes_at
                then times.solved_at else hours.closes_at end
            - case when times.created_at > hours.opens_at
                then times.created_at else hours.opens_at end
        )) / 60) as minutes

    from times
    inner join hours
        on hours.opens_at < times.solved_at and hours.closes_at > times.created_at
    group by times.ticket_id

),

final as (

    select
        tickets.ticket_id,
        tickets.created_at,
        tickets.priority,
        tickets.channel,
        tickets.organization_id,
        tickets.assignee_id,
        statuses.status,
        first_replies.first_reply_at,
        statuses.solved_at,
        coalesce(statuses.reopens, 0) as reopens,
        coalesce(statuses.reopens, 0) > 0 as is_reopened,
        cast(extract(epoch from (first_replies.first_reply_at - tickets.created_at)) / 60
             as double precision) as first_reply_calendar_minutes,
        case when first_replies.first_reply_at is not null
            then cast(coalesce(reply_business.minutes, 0) as double precision)
        end as first_reply_business_minutes,
        cast(extract(epoch from (statuses.solved_at - tickets.created_at)) / 60
             as double precision) as full_resolution_calendar_minutes,
        case when statuses.solved_at is not null
            then cast(coalesce(resolution_business.minutes, 0) as double precision)
        end as full_resolution_business_minutes,
        reply_policy.target_minutes as first_reply_target_minutes,
        resolution_policy.target_minutes as full_resolution_target_minutes,
        coalesce(reply_business.minutes, 0) > reply_policy.target_minutes
            and first_replies.first_reply_at is not null as is_first_reply_breached,
        coalesce(resolution_business.minutes, 0) > resolution_policy.target_minutes
            and statuses.solved_at is not null as is_full_resolution_breached,
        ratings.score as satisfaction_score,
        {{ date_key('tickets.created_at') }} as date_key

    from tickets
    left join first_replies on tickets.ticket_id = first_replies.ticket_id
    left join statuses on tickets.ticket_id = statuses.ticket_id
    left join reply_business on tickets.ticket_id = reply_business.ticket_id
    left join resolution_business on tickets.ticket_id = resolution_business.ticket_id
    left join policies as reply_policy
        on tickets.priority = reply_policy.priority and reply_policy.metric = 'first_reply_time'
    left join policies as resolution_policy
        on tickets.priority = resolution_policy.priority
        and resolution_policy.metric = 'full_resolution_time'
    left join ratings on tickets.ticket_id = ratings.ticket_id

)

select * from final
