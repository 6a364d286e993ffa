{#- Employees as a slowly changing dimension of type 2: one version per position the HR system
    records (hire, promotion, transfer, rehire), with department, title and manager. A version is
    valid from its valid_from (inclusive) to the next version's (exclusive); the current one to
    the end of time. The history comes from HR's own effective dates, so it reaches back before
    the platform existed. Names and e-mail are personal data: masked for the BI role. -#}
with

positions as (

    select * from {{ ref('stg_hr__positions') }}

),

workers as (

    select * from {{ ref('stg_hr__workers') }}

),

profiles as (

    select * from {{ ref('stg_hr__job_profiles') }}

),

departments as (

    select * from {{ ref('dim_department') }}

),

versions as (

    select
        positions.*,
        row_number() over (
            partition by positions.worker_id order by positions.valid_from, positions.position_id
        ) as version_number,
        lead(positions.valid_from) over (
            partition by positions.worker_id order by positions.valid_from, positions.position_id
        ) as next_valid_from

    from positions

),

final as (

    select
        {{ surrogate_key(['versions.worker_id', 'versions.version_number']) }} as employee_key,
        versions.worker_id,
        versions.version_number,
        workers.first_name,
        workers.last_name,
        workers.email,
        versions.department_id,
        departments.department_name,
        departments.division_name,
        versions.job_profile_id,
        profiles.title,
        profiles.job_family,
        profiles.level,
        versions.manager_id,
        versions.reason as change_reason,
        cast(versions.valid_from as timestamp) as valid_from,
        coalesce(cast(versions.next_valid_from as timestamp),
                 cast('9999-12-31 00:00:00' as timestamp)) as valid_to,
        versions.next_valid_from is null as is_current,
        workers.status as current_status

    from versions
    inner join workers on versions.worker_id = workers.worker_id
    left join profiles on versions.job_profile_id = profiles.job_profile_id
    left join departments on versions.department_id = departments.department_id

)

select * from final
