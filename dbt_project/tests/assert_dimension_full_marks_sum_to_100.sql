-- Contract from docs/architecture.md: the five dimensions' full marks sum to 100.
select sum(full_marks) as total_full_marks
from {{ ref('stg_reference__dimensions') }}
having abs(coalesce(sum(full_marks), 0) - 100) > 1e-9
