{#- Departments with their parent and top-level division (the hierarchy is at most three
    levels: Executive > Engineering > Platform), current name and the names they had before. -#}
with

departments as (

    select * from {{ ref('stg_hr__departments') }}

),

names as (

    select * from {{ ref('stg_hr__department_names') }}

),

former as (

    select
        names.department_id,
        count(*) as names_had,
        max(names.valid_from) as named_since

    from names
    group by names.department_id

),

final as (

    select
        departments.department_id,
        departments.name as department_name,
        departments.cost_center,
        departments.parent_department_id,
        parent.name as parent_department_name,
        -- the division: the department under the root it belongs to (itself at that level)
        case
            when departments.parent_department_id is null then departments.department_id
            when parent.parent_department_id is null then departments.department_id
            else parent.department_id
        end as division_id,
        case
            when departments.parent_department_id is null then departments.name
            when parent.parent_department_id is null then departments.name
            else parent.name
        end as division_name,
        former.names_had > 1 as was_renamed,
        former.named_since

    from departments
    left join departments as parent
        on departments.parent_department_id = parent.department_id
    left join former on departments.department_id = former.department_id

)

select * from final
