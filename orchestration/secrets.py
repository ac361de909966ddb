"""Settings that hold secrets (the alert webhook, the PostgreSQL URL): checked at start-up and
masked in everything wuxing prints, logs or sends."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

WEBHOOK_ENV = "WUXING_ALERT_WEBHOOK"
POSTGRES_ENV = "WUXING_POSTGRES_URL"
SECRET_ENVS = (WEBHOOK_ENV, POSTGRES_ENV)
MASK = "***"
# Credentials inside any URL-like text: the query values of token-like keys and user:password@.
_QUERY_SECRET = re.compile(r"(?i)((?:access_token|token|key|secret|sign|password|pwd)=)[^&\s'\"#]+")
_USERINFO = re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@'\"]*:)[^@\s/'\"]+@")


class SecretSettingError(ValueError):
    """A secret setting is malformed; the message names the setting and never shows its value."""


def mask(text: str, env: dict[str, str] | None = None) -> str:
    """`text` with every configured secret value, URL password and token-like query value hidden."""
    env = os.environ if env is None else env
    for name in SECRET_ENVS:
        value = env.get(name, "").strip()
        if len(value) >= 8:
            text = text.replace(value, f"<{name}>")
    return _USERINFO.sub(rf"\1{MASK}@", _QUERY_SECRET.sub(rf"\1{MASK}", text))


def _check_url(name: str, value: str, schemes: tuple[str, ...]) -> None:
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise SecretSettingError(
            f"{name} 含空格或控制字符，请检查是否复制完整 / {name} contains a space or "
            f"a control character (value hidden)"
        )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise SecretSettingError(f"{name} 不是有效的网址 / {name} is not a valid URL (value hidden)") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise SecretSettingError(
            f"{name} 须以 {' 或 '.join(s + '://' for s in schemes)} 开头并含主机名 / "
            f"{name} must be a {'/'.join(schemes)} URL with a host (value hidden)"
        )


def check_settings(env: dict[str, str] | None = None) -> None:
    """Raise SecretSettingError (message masked) for a malformed webhook or PostgreSQL URL."""
    env = os.environ if env is None else env
    if webhook := env.get(WEBHOOK_ENV, "").strip():
        _check_url(WEBHOOK_ENV, webhook, ("https", "http"))
    if postgres := env.get(POSTGRES_ENV, "").strip():
        _check_url(POSTGRES_ENV, postgres, ("postgresql", "postgres", "postgresql+psycopg2"))
