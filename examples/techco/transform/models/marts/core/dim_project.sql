{#- The tracker's projects, with the department that runs them and the customer they bill (from
    the ledger's invoices; none for an internal project). The tracker files a project under the
    category `department-<id>`. -#}
with

projects as (

    select * from {{ ref('stg_tracker__projects') }}

),

invoices as (

    select project_id, min(customer_id) as customer_id
    from {{ ref('stg_finance__invoices') }}
    group by project_id

)

select
    projects.project_id,
    projects.project_key,
    projects.name as project_name,
    cast(substring(projects.category, 12, 10) as integer) as department_id,
    invoices.customer_id,
    invoices.customer_id is not null as is_billable

from projects
left join invoices on projects.project_id = invoices.project_id
