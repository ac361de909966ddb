{#- Period partitions. A run may be limited to some assessment periods with the dbt variable
    `periods`, a list of partition keys: quarters ('2024Q3') and years ('2024', the annual
    roll-up). Without it every period is built. The period-keyed models (models/*/by_period) are
    incremental: a limited run deletes the rows of its periods and inserts them anew, leaving every
    other period as it was; unit tests always see their whole fixtures. -#}

{#- The selected keys of one grain ('quarter' or 'year'), or none when every period is built. -#}
{% macro selected_period_keys(grain='quarter') -%}
    {%- set periods = var('periods', none) -%}
    {%- if periods is none or model.resource_type == 'unit_test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if periods is string -%}
        {%- set periods = periods.split(',') if periods else [] -%}
    {%- endif -%}
    {%- set keys = [] -%}
    {%- for key in periods -%}
        {%- if modules.re.fullmatch('[0-9]{4}Q[1-4]' if grain == 'quarter' else '[0-9]{4}', key) -%}
            {%- do keys.append(key) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{#- A predicate on `column` that holds for the selected periods of the grain (true when all are). -#}
{% macro period_is_selected(column='period', grain='quarter') -%}
    {%- set keys = selected_period_keys(grain) -%}
    {%- if keys is none -%}
        true
    {%- elif keys | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in ({% for key in keys %}'{{ key }}'{{ ', ' if not loop.last }}{% endfor %})
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
