-- Rectification deadlines per ledger source (red_light / deduction / office) and the optional
-- points an overdue item costs.
with source as (
    select * from {{ ref('rectification_rules') }}
)

select
    lower(trim(source))                 as source,
    deadline_days,
    overdue_deduction,
    description_zh
from source
