{#- One row per pull request, with its reviews: how many, when the first came, whether anyone
    approved; a pull request may have no reviewer at all (dbt_github's pull request times). -#}
with

pulls as (

    select * from {{ ref('stg_githost__pull_requests') }}

),

reviews as (

    select
        pull_request_id,
        count(*) as reviews,
        count(distinct user_id) as reviewers,
        min(submitted_at) as first_reviewed_at,
        max(case when state = 'APPROVED' then 1 else 0 end) = 1 as is_approved

    from {{ ref('stg_githost__reviews') }}
    group by pull_request_id

)

select
    pulls.pull_request_id,
    pulls.repository_id,
    pulls.number,
    pulls.user_id,
    pulls.state,
    pulls.created_at,
    pulls.merged_at,
    pulls.closed_at,
    pulls.merged_at is not null as is_merged,
    coalesce(reviews.reviews, 0) as reviews,
    coalesce(reviews.reviewers, 0) as reviewers,
    coalesce(reviews.reviewers, 0) = 0 as has_no_reviewer,
    coalesce(reviews.is_approved, false) as is_approved,
    reviews.first_reviewed_at,
    {{ minutes_between('pulls.created_at', 'reviews.first_reviewed_at') }}
        as minutes_to_first_review,
    {{ minutes_between('pulls.created_at', 'pulls.merged_at') }} as minutes_to_merge,
    {{ date_key('pulls.created_at') }} as date_key

from pulls
left join reviews on pulls.pull_request_id = reviews.pull_request_id
