-- The office's decisions on periods (定稿 finalize / 重新开放 reopen), as recorded.
with source as (
    select * from {{ source('ops', 'period_decisions') }}
),

cleaned as (
    select
        decision_id,
        upper(trim(period))         as period,
        lower(trim(action))         as action,
        decided_by,
        cast(decided_at as timestamp) as decided_at,
        reason,
        code_version,
        returns_sha256,
        run_id
    from source
)

select * from cleaned
