{#- Period partitions. A run may be limited to some assessment periods: the run writes its
    partition keys, quarters ('2024Q3') and years ('2024', the annual roll-up), into the table
    ops.scoring_selection (period, grain) before dbt starts (orchestration.periods.select_periods);
    a row '*' selects every period. A table, not a dbt variable: changing --vars would invalidate
    dbt's partial parse on every run. The period-keyed models (models/*/by_period) are incremental:
    a limited run deletes the rows of its periods and inserts them anew, leaving every other
    period as it was; unit tests always see their whole fixtures. -#}

{#- A predicate on `column` that holds for the selected periods of the grain (true when all are). -#}
{% macro period_is_selected(column='period', grain='quarter') -%}
    {%- if model.resource_type == 'unit_test' -%}
        true
    {%- else -%}
        ({{ column }} in (select period from ops.scoring_selection where grain = '{{ grain }}')
         or exists (select 1 from ops.scoring_selection where period = '*'))
    {%- endif -%}
{%- endmacro %}

{#- The rows of a period-keyed relation that belong to the selected periods, as a subquery. -#}
{% macro for_selected_periods(relation, column='period', grain='quarter') -%}
    (select * from {{ relation }} where {{ period_is_selected(column, grain) }})
{%- endmacro %}

{#- Pre-hook of every period-keyed model: on an incremental run, drop the rows about to be rebuilt.
    The model's `period_column` / `period_grain` configs name its key (default: period, quarter). -#}
{% macro delete_selected_periods() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ period_is_selected(config.get('period_column', 'period'), config.get('period_grain', 'quarter')) }}
    {%- endif -%}
{%- endmacro %}
