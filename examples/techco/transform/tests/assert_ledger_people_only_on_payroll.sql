-- people counts the workers of a payroll entry, on both its lines, and is NULL on every other
-- line: the BI role shows a line with people NULL as not about people.
select journal_line_id, entry_kind, people
from {{ ref('fct_general_ledger') }}
where (entry_kind = 'payroll') <> (people is not null)
