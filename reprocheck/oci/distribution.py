"""The digest a tag points at, from its registry over the OCI distribution API (stdlib urllib only).

``HEAD /v2/<name>/manifests/<tag>`` with the index and manifest media types in ``Accept`` gives the digest
in ``Docker-Content-Digest``; when a registry leaves that header out, the manifest is fetched and hashed.
A 401 with ``WWW-Authenticate: Bearer realm=...`` is answered with a token from the realm (the user's
credentials from the docker config, else anonymous); ``Basic`` with the credentials themselves. With a
platform, the manifest for it is picked out of the index. Registries on localhost are spoken to over
plain http, as docker does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from reprocheck.errors import LookupFailed
from reprocheck.model.patterns import lazy
from reprocheck.oci.credentials import Credentials, credentials_for

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MAX_MANIFEST = 4 * 1024 * 1024
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
DIGEST = lazy(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")


@dataclass(frozen=True, slots=True)
class Reference:
    registry: str  # as written, or docker.io
    repository: str  # library/ added for Docker Hub's official images
    tag: str

    @property
    def api_host(self) -> str:
        return "registry-1.docker.io" if self.registry == "docker.io" else self.registry

    @property
    def scheme(self) -> str:
        host = self.registry.rsplit(":", 1)[0] if not self.registry.startswith("[") else self.registry
        return "http" if host in ("localhost", "127.0.0.1", "[::1]") else "https"

    def manifest_url(self, ref: str | None = None) -> str:
        return f"{self.scheme}://{self.api_host}/v2/{self.repository}/manifests/{ref or self.tag}"


def reference(registry: str | None, repository: str, tag: str | None) -> Reference:
    reg = registry or "docker.io"
    if reg in ("index.docker.io", "registry-1.docker.io"):
        reg = "docker.io"
    repo = repository
    if reg == "docker.io" and "/" not in repo:
        repo = f"library/{repo}"
    return Reference(reg, repo, tag or "latest")


def reference_of(text: str) -> Reference:
    """``[registry/]repository[:tag]`` (a digest after ``@`` is dropped) as ``reference`` takes it: the first
    component is a registry when it has a dot or a port, or is ``localhost``, as docker reads it."""
    name = text.partition("@")[0]
    first, slash, rest = name.partition("/")
    registry = first if slash and ("." in first or ":" in first or first == "localhost") else None
    path = rest if registry else name
    repository, colon, tag = path.rpartition(":") if ":" in path.rsplit("/", 1)[-1] else (path, "", "")
    return reference(registry, repository, tag if colon else None)


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="...",service="..."`` -> ("bearer", {...})."""
    scheme, _, rest = header.strip().partition(" ")
    return scheme.lower(), dict(_CHALLENGE.findall(rest))


def tag_digest(text: str, timeout: float = 30.0) -> str:
    """The digest a tag (``name:tag``) has on its registry now. Raises LookupFailed with the reason."""
    return RegistryClient(timeout).digest(reference_of(text))


class RegistryClient:
    """One client per fix run: tokens are kept per registry and repository."""

    def __init__(self, timeout: float = 15.0) -> None:
        self.timeout = timeout
        self._auth: dict[tuple[str, str], str] = {}  # (registry, repository) -> Authorization header

    def digest(self, ref: Reference, platform: str | None = None) -> str:
        """The digest of the tag (the index's, when it is an index); with ``platform`` (``os/arch[/variant]``),
        the digest of that platform's manifest. Raises LookupFailed."""
        if platform is None:
            headers, _ = self._request(ref, ref.manifest_url(), "HEAD")
            found = str(headers.get("Docker-Content-Digest", ""))
            if DIGEST.fullmatch(found):
                return found
        headers, body = self._request(ref, ref.manifest_url(), "GET")
        found = "sha256:" + hashlib.sha256(body).hexdigest()
        if platform is None:
            return found
        media = headers.get("Content-Type", "").split(";")[0].strip()
        try:
            manifest: dict[str, Any] = json.loads(body)
        except ValueError:
            raise LookupFailed(f"{ref.registry} sent a manifest that is not JSON") from None
        media = manifest.get("mediaType") or media
        if media not in INDEX_TYPES and "manifests" not in manifest:
            return found  # one platform only: the tag's own manifest
        return _pick(manifest, platform, ref)

    def _request(self, ref: Reference, url: str, method: str) -> tuple[Any, bytes]:
        for attempt in range(2):
            headers = {"Accept": ACCEPT}
            auth = self._auth.get((ref.registry, ref.repository))
            if auth:
                headers["Authorization"] = auth
            request = urllib.request.Request(url, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read(MAX_MANIFEST + 1) if method == "GET" else b""
                    if len(body) > MAX_MANIFEST:
                        raise LookupFailed(f"{ref.registry} sent a manifest larger than 4 MiB")
                    return response.headers, body
            except urllib.error.HTTPError as exc:
                challenge = exc.headers.get("WWW-Authenticate", "") if exc.headers else ""
                if exc.code == 401 and attempt == 0 and challenge:
                    self._authenticate(ref, challenge)
                    continue
                raise LookupFailed(_http_reason(ref, exc.code)) from None
            except (urllib.error.URLError, OSError, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                raise LookupFailed(f"registry {ref.registry} did not answer: {reason}") from None
        raise LookupFailed(f"registry {ref.registry} refused the credentials for {ref.repository}")

    def _authenticate(self, ref: Reference, challenge: str) -> None:
        scheme, params = parse_challenge(challenge)
        creds = credentials_for(ref.registry)
        if scheme == "basic":
            if creds is None:
                raise LookupFailed(f"registry {ref.registry} needs a login (docker login {ref.registry})")
            self._auth[(ref.registry, ref.repository)] = _basic(creds)
            return
        if scheme != "bearer" or "realm" not in params:
            raise LookupFailed(f"registry {ref.registry} asks for an authentication scheme `{scheme}` we do not speak")
        query = {"scope": params.get("scope") or f"repository:{ref.repository}:pull"}
        if "service" in params:
            query["service"] = params["service"]
        url = params["realm"] + ("&" if "?" in params["realm"] else "?") + urllib.parse.urlencode(query)
        realm = urllib.parse.urlsplit(url)
        if realm.scheme not in ("https", "http") or (realm.scheme == "http" and ref.scheme != "http"):
            raise LookupFailed(f"registry {ref.registry} sends its token realm over an insecure or odd scheme")
        headers = {"Authorization": _basic(creds)} if creds else {}
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=self.timeout) as r:
                data = json.loads(r.read(1024 * 1024))
        except urllib.error.HTTPError as exc:
            raise LookupFailed(f"the token service of {ref.registry} answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise LookupFailed(f"the token service of {ref.registry} did not answer: {exc}") from None
        token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise LookupFailed(f"the token service of {ref.registry} sent no token")
        self._auth[(ref.registry, ref.repository)] = f"Bearer {token}"


def _basic(creds: Credentials) -> str:
    return "Basic " + base64.b64encode(f"{creds.username}:{creds.secret}".encode()).decode()


def _http_reason(ref: Reference, code: int) -> str:
    if code == 404:
        return f"{ref.registry} has no `{ref.repository}:{ref.tag}`"
    if code in (401, 403):
        return f"registry {ref.registry} refused access to {ref.repository} (docker login {ref.registry}?)"
    if code == 429:
        return f"registry {ref.registry} rate-limits us (HTTP 429); try again later"
    return f"registry {ref.registry} answered HTTP {code} for {ref.repository}:{ref.tag}"


def _platform_parts(platform: str) -> tuple[str, str, str | None]:
    parts = platform.strip().split("/")
    if len(parts) < 2 or not all(parts):
        raise LookupFailed(f"platform `{platform}` is not os/arch[/variant]")
    return parts[0], parts[1], parts[2] if len(parts) > 2 else None


def _pick(index: dict[str, Any], platform: str, ref: Reference) -> str:
    want_os, want_arch, want_variant = _platform_parts(platform)
    candidates = []
    for entry in index.get("manifests") or ():
        if not isinstance(entry, dict):
            continue
        plat = entry.get("platform") or {}
        if plat.get("os") != want_os or plat.get("architecture") != want_arch:
            continue
        if want_variant and plat.get("variant") not in (want_variant, None):
            continue
        digest = entry.get("digest")
        if isinstance(digest, str) and DIGEST.fullmatch(digest):
            candidates.append((plat.get("variant") == want_variant, digest))
    if not candidates:
        raise LookupFailed(f"`{ref.repository}:{ref.tag}` on {ref.registry} has no image for {platform}")
    candidates.sort(key=lambda c: not c[0])
    return str(candidates[0][1])
