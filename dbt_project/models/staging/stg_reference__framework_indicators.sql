-- Leaves of each framework version: the indicators (and bonus / deduction items) it scores, where
-- they hang in the tree, their weight (= full marks), method, parameters and missing-value policy.
-- A blank tiers cell means the catalogue's tiers (indicators.tiers); a blank frequency means
-- quarterly (`annual`: scored only in the Q4 run and combined into the annual roll-up). A blank
-- normalisation_scope means the version's (scoring_params.normalisation_scope).
with source as (
    select * from {{ ref('framework_indicators') }}
),

catalogue as (
    select indicator_code, kind, direction, tiers from {{ ref('stg_reference__indicators') }}
),

cleaned as (
    select
        trim(source.framework_version)                  as framework_version,
        trim(source.indicator_code)                     as indicator_code,
        nullif(trim(source.parent_code), '')            as parent_code,
        source.weight,
        lower(trim(source.method))                      as method,
        source.param_a,
        source.param_b,
        coalesce(nullif(lower(trim(source.missing_policy)), ''), 'zero') as missing_policy,
        coalesce(nullif(trim(source.tiers), ''), catalogue.tiers)         as tiers,
        nullif(trim(source.tolerated_indicator_code), '')                 as tolerated_indicator_code,
        source.sort_order,
        coalesce(nullif(lower(trim(source.frequency)), ''), 'quarterly')  as frequency,
        nullif(lower(trim(source.normalisation_scope)), '')                as normalisation_scope,
        catalogue.kind,
        catalogue.direction
    from source
    left join catalogue
        on catalogue.indicator_code = trim(source.indicator_code)
)

select * from cleaned
