-- What each period still misses, per unit, source (the unit's own return or an evaluator) and
-- evaluation part: values expected, received, and the codes of the missing indicators.
with expected as (
    select * from {{ ref('int_period_returns_expected') }}
),

units as (
    select unit_code, unit_name from {{ ref('stg_reference__units') }}
),

grouped as (
    select
        period,
        unit_code,
        source,
        part_code,
        count(*)                                                    as values_expected,
        count(*) filter (where is_received)                         as values_received,
        string_agg(indicator_code, '|' order by indicator_code) filter (where not is_received)
                                                                    as missing_indicators
    from expected
    group by period, unit_code, source, part_code
)

select
    cast(grouped.period as varchar)             as period,
    cast(grouped.unit_code as varchar)          as unit_code,
    cast(units.unit_name as varchar)            as unit_name,
    cast(grouped.source as varchar)             as source,
    cast(grouped.part_code as varchar)          as part,
    cast(grouped.values_expected as bigint)     as values_expected,
    cast(grouped.values_received as bigint)     as values_received,
    cast(grouped.values_received = grouped.values_expected as boolean) as is_complete,
    cast(grouped.missing_indicators as varchar) as missing_indicators
from grouped
inner join units
    on units.unit_code = grouped.unit_code
order by grouped.period, grouped.unit_code, grouped.source, grouped.part_code
