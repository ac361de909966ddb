{{ config(meta={'dagster': {'ref': {'name': 'stg_reference__framework_indicators'}}}) }}
-- 容错: a tolerated_indicator_code is set only on a deduction item, names a catalogue indicator
-- of kind `tolerated` reported by the same source as the item, and each tolerated count belongs
-- to one deduction item per version. Returns the offending leaves with the reason.
with leaves as (
    select * from {{ ref('stg_reference__framework_indicators') }}
    where tolerated_indicator_code is not null
),

catalogue as (
    select indicator_code, kind, source from {{ ref('stg_reference__indicators') }}
)

select leaves.framework_version, leaves.indicator_code, 'not a deduction item' as reason
from leaves
where leaves.kind <> 'deduction'
union all
select leaves.framework_version, leaves.indicator_code, 'tolerated count is not of kind tolerated or not from the same source'
from leaves
inner join catalogue as item on item.indicator_code = leaves.indicator_code
left join catalogue as tolerated on tolerated.indicator_code = leaves.tolerated_indicator_code
where tolerated.kind is distinct from 'tolerated' or tolerated.source is distinct from item.source
union all
select framework_version, tolerated_indicator_code, 'tolerated count of more than one deduction item'
from leaves
group by framework_version, tolerated_indicator_code
having count(*) > 1
