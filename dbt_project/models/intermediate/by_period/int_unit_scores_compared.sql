-- Rule 12 (change since the last quarter and the same quarter a year before), within one
-- framework version (a period scored officially by a new version is compared with the previous
-- period re-scored by that version, so the change is not an artefact of the framework change).
-- Rank change is positive when the unit moved up (previous rank - rank). Score changes are rounded
-- to 2 decimals like the totals, so equal changes are equal (88.3 - 80.2 = 78.4 - 70.3 = 8.1, not
-- 8.099999999999994 vs 8.100000000000009), which matters for ties among the 红黑榜 movers.
with ranked_all_periods as (
    select * from {{ ref('int_unit_scores_ranked') }}
),

ranked as (
    select * from ranked_all_periods where {{ period_is_selected() }}
),

compared as (
    select
        ranked.*,
        last_quarter.total_score                        as total_score_last_quarter,
        last_quarter.rank_in_group                      as rank_last_quarter,
        round(ranked.total_score - last_quarter.total_score, 2) as score_change_qoq,
        last_quarter.rank_in_group - ranked.rank_in_group as rank_change_qoq,
        last_year.total_score                           as total_score_last_year,
        last_year.rank_in_group                         as rank_last_year,
        round(ranked.total_score - last_year.total_score, 2) as score_change_yoy,
        last_year.rank_in_group - ranked.rank_in_group  as rank_change_yoy
    from ranked
    left join ranked_all_periods as last_quarter
        on last_quarter.unit_code = ranked.unit_code
       and last_quarter.framework_version = ranked.framework_version
       and last_quarter.period_index = ranked.period_index - 1
    left join ranked_all_periods as last_year
        on last_year.unit_code = ranked.unit_code
       and last_year.framework_version = ranked.framework_version
       and last_year.period_index = ranked.period_index - 4
)

select * from compared
