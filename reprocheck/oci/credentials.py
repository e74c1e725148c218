"""Registry credentials as the docker CLI finds them: ``$DOCKER_CONFIG/config.json`` (default
``~/.docker``) ``credHelpers``, ``credsStore`` (``docker-credential-<name> get``) and ``auths``."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

DOCKER_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")
_HELPER_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


class Credentials(NamedTuple):
    username: str
    secret: str


def _config() -> dict[str, Any]:
    directory = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    path = directory / "config.json"
    try:
        if not path.is_file() or path.stat().st_size > 1_000_000:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _keys(registry: str) -> tuple[str, ...]:
    if registry in DOCKER_HUB_KEYS:
        return DOCKER_HUB_KEYS
    return (registry, f"https://{registry}", f"http://{registry}", f"https://{registry}/v1/", f"https://{registry}/v2/")


def _helper(name: str, server: str) -> Credentials | None:
    if not _HELPER_NAME.match(name):
        return None
    try:
        proc = subprocess.run(
            [f"docker-credential-{name}", "get"],
            input=server.encode(),
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        return None
    user, secret = data.get("Username"), data.get("Secret")
    if isinstance(user, str) and isinstance(secret, str) and secret:
        return Credentials(user, secret)
    return None


def _from_auths(entry: object) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            user, _, secret = base64.b64decode(auth).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return Credentials(user, secret) if secret else None
    name, password = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(password, str) and password:
        return Credentials(name, password)
    return None


def credentials_for(registry: str) -> Credentials | None:
    """The user's credentials for ``registry`` (a host[:port]; ``docker.io`` for Docker Hub), if any."""
    config = _config()
    keys = _keys(registry)
    helpers = config.get("credHelpers")
    if isinstance(helpers, dict):
        for key in keys:
            name = helpers.get(key)
            if isinstance(name, str):
                return _helper(name, key)
    store = config.get("credsStore")
    if isinstance(store, str) and store:
        for key in keys[:2]:
            found = _helper(store, key)
            if found:
                return found
    auths = config.get("auths")
    if isinstance(auths, dict):
        for key in keys:
            found = _from_auths(auths.get(key))
            if found:
                return found
    return None
