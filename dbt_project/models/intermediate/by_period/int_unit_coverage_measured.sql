-- Rule P3 (coverage and ranking eligibility), per scoring run (unit, period, framework version):
--   coverage      = quarterly scored indicators with a value / those that apply and are not 不适用
--                   (annual-only indicators are not part of the quarterly score);
--   missing_parts = evaluation parts (nodes of type `part`) none of whose indicators has a value,
--                   e.g. satisfaction before the evaluator E01 has reported;
--   is_withheld   : a part is missing and the period is not final -> the total is shown as missing
--                   (null), not with the part at 0 points; once final the framework's
--                   missing_policy applies as scored;
--   is_rankable   = coverage >= the version's min_coverage (scoring_params) and not is_withheld;
--                   an unrankable unit keeps its score (unless withheld) but gets no rank:
--                   "数据不全，暂不排名".
with leaves as (
    select * from {{ for_selected_periods(ref('int_indicator_scores_computed')) }}
    where not is_na
      and frequency is distinct from 'annual'
),

parts as (
    select
        ancestors.framework_version,
        ancestors.node_code     as indicator_code,
        nodes.node_code         as part_code,
        nodes.node_name_zh      as part_name_zh,
        nodes.sort_order        as part_sort_order
    from {{ ref('int_framework_ancestors_listed') }} as ancestors
    inner join {{ ref('int_framework_nodes_resolved') }} as nodes
        on nodes.framework_version = ancestors.framework_version
       and nodes.node_code = ancestors.ancestor_code
    where nodes.node_type = 'part'
),

finality as (
    select period, is_final from {{ ref('int_period_finality_resolved') }}
),

params as (
    select framework_version, min_coverage from {{ ref('stg_reference__scoring_params') }}
),

part_status as (
    select
        leaves.unit_code,
        leaves.period,
        leaves.framework_version,
        parts.part_code,
        any_value(parts.part_name_zh)       as part_name_zh,
        any_value(parts.part_sort_order)    as part_sort_order,
        bool_and(leaves.is_missing)         as is_missing
    from leaves
    inner join parts
        on parts.framework_version = leaves.framework_version
       and parts.indicator_code = leaves.indicator_code
    group by leaves.unit_code, leaves.period, leaves.framework_version, parts.part_code
),

missing_parts as (
    select
        unit_code,
        period,
        framework_version,
        string_agg(part_code, '|' order by part_sort_order, part_code)       as missing_parts,
        string_agg(part_name_zh, '、' order by part_sort_order, part_code)   as missing_part_names
    from part_status
    where is_missing
    group by unit_code, period, framework_version
),

counted as (
    select
        unit_code,
        period,
        framework_version,
        count(*)                                        as indicators_expected,
        count(*) filter (where not is_missing)          as indicators_reported,
        string_agg(indicator_code, '|' order by indicator_code) filter (where is_missing) as missing_indicators
    from leaves
    group by unit_code, period, framework_version
),

assessed as (
    select
        counted.*,
        coalesce(counted.indicators_reported::double / nullif(counted.indicators_expected, 0), 1.0) as coverage,
        coalesce(params.min_coverage, 0.0)              as min_coverage,
        missing_parts.missing_parts,
        missing_parts.missing_part_names,
        coalesce(finality.is_final, false)              as is_final
    from counted
    left join params
        on params.framework_version = counted.framework_version
    left join missing_parts
        on missing_parts.unit_code = counted.unit_code
       and missing_parts.period = counted.period
       and missing_parts.framework_version = counted.framework_version
    left join finality
        on finality.period = counted.period
)

select
    *,
    (missing_parts is not null and not is_final)                        as is_withheld,
    coverage >= min_coverage and not (missing_parts is not null and not is_final) as is_rankable,
    case
        when missing_parts is not null and not is_final then
            '数据不全，暂不排名：' || missing_part_names || '尚无数据（定稿前不按0分计）'
        when coverage < min_coverage then
            '数据不全，暂不排名：指标覆盖率 ' || round(coverage * 100, 1) || '%，低于 '
            || round(min_coverage * 100, 1) || '%'
    end                                                                 as ranking_note
from assessed
