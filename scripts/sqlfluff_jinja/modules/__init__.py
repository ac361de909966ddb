"""dbt's `modules` namespace for sqlfluff's jinja templater (the project's macros use modules.re)."""

import re  # noqa: F401
