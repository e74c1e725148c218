"""The network look-ups of the download fixes: one download to hash, one ``git ls-remote``, one question to
the model hub's API. All refuse with ``--offline``; failures become reasons, never exceptions out of fix."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from typing import IO, Any
from urllib.parse import quote, urlsplit

from reprocheck.errors import LookupFailed
from reprocheck.fix.machinery.api import FixContext

MAX_DOWNLOAD = 2 * 1024**3
MAX_HUB_ANSWER = 64 * 1024**2  # the revision answer lists every file of the repository
HUB = "https://huggingface.co"  # huggingface_hub's default; HF_ENDPOINT (its own variable) overrides it
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_SHA = re.compile(r"^([0-9a-f]{40}|[0-9a-f]{64})\t(\S+)$")


def sha256_of_url(ctx: FixContext, url: str) -> str:
    """The sha256 of what ``url`` serves now (one streamed download, nothing kept). Raises LookupFailed."""
    if ctx.options.offline:
        raise LookupFailed("a checksum needs one download, and --offline forbids it")
    if not url.lower().startswith(("https://", "http://")):
        raise LookupFailed(f"`{url}` is not an http(s) URL")

    def run() -> str | LookupFailed:
        digest = hashlib.sha256()
        size = 0
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "reprocheck-fix"})
            with urllib.request.urlopen(request, timeout=ctx.options.timeout) as response:
                while chunk := response.read(1024 * 1024):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD:
                        return LookupFailed(f"`{url}` is larger than 2 GiB; hash it by hand")
                    digest.update(chunk)
        except urllib.error.HTTPError as exc:
            return LookupFailed(f"`{url}` answered HTTP {exc.code}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return LookupFailed(f"cannot download `{url}`: {getattr(exc, 'reason', exc)}")
        return digest.hexdigest()

    found = ctx.cached(("sha256", url), run)
    if isinstance(found, LookupFailed):
        raise found
    return str(found)


def ls_remote(ctx: FixContext, url: str, ref: str | None) -> str:
    """The commit ``ref`` (a branch or tag; None: HEAD) of the repository at ``url`` has now."""
    if ctx.options.offline:
        raise LookupFailed("the commit needs `git ls-remote`, and --offline forbids it")
    if url.startswith("-") or "::" in url.split("/", 1)[0]:
        raise LookupFailed(f"`{url}` is not a repository URL fix will ask")

    def run() -> str | LookupFailed:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
        wanted = [ref, f"refs/heads/{ref}", f"refs/tags/{ref}", f"refs/tags/{ref}^{{}}"] if ref else ["HEAD"]
        command = ["git", "-c", "protocol.ext.allow=never", "ls-remote", "--", url, *wanted]
        try:
            proc = subprocess.run(command, capture_output=True, timeout=max(ctx.options.timeout, 30), env=env)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return LookupFailed(f"git ls-remote {url} did not finish: {exc}")
        if proc.returncode != 0:
            last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"])[-1]
            return LookupFailed(f"git ls-remote {url}: {last[:200]}")
        refs: dict[str, str] = {}
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            m = _SHA.match(line.strip())
            if m:
                refs[m.group(2)] = m.group(1)
        for name in [f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}", f"refs/heads/{ref}", ref] if ref else ["HEAD"]:
            if name in refs:
                return refs[name]
        return LookupFailed(f"{url} has no branch or tag `{ref}`" if ref else f"{url} has no HEAD")

    found = ctx.cached(("ls-remote", url, ref or ""), run)
    if isinstance(found, LookupFailed):
        raise found
    return str(found)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class _TokenOnlyToEndpoint(urllib.request.HTTPRedirectHandler):
    """Follows redirects, sending the token again only to the hub's own origin (urllib's default handler
    would forward an Authorization header to any host a redirect names)."""

    def __init__(self, endpoint: str, token: str) -> None:
        self.endpoint = _origin(endpoint)
        self.token = token

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and self.token and _origin(new.full_url) == self.endpoint:
            new.add_unredirected_header("Authorization", f"Bearer {self.token}")
        return new


def hub_commit(ctx: FixContext, repo: str, ref: str) -> str:
    """The commit the branch or tag ``ref`` of the model repository ``repo`` points at now, from the hub's API
    (``HF_ENDPOINT``, else huggingface.co; ``HF_TOKEN`` sent to that endpoint only). Raises LookupFailed."""
    if ctx.options.offline:
        raise LookupFailed("the commit needs the model hub's API, and --offline forbids it")
    endpoint = (os.environ.get("HF_ENDPOINT") or HUB).rstrip("/")
    if not endpoint.lower().startswith(("https://", "http://")):
        raise LookupFailed(f"HF_ENDPOINT `{endpoint}` is not an http(s) URL")
    url = f"{endpoint}/api/models/{quote(repo, safe='/')}/revision/{quote(ref, safe='')}"
    token = os.environ.get("HF_TOKEN", "").strip()

    def run() -> str | LookupFailed:
        request = urllib.request.Request(url, headers={"User-Agent": "reprocheck-fix", "Accept": "application/json"})
        if token:
            request.add_unredirected_header("Authorization", f"Bearer {token}")
        opener = urllib.request.build_opener(_TokenOnlyToEndpoint(endpoint, token))
        try:
            with opener.open(request, timeout=ctx.options.timeout) as response:
                body = response.read(MAX_HUB_ANSWER + 1)
        except urllib.error.HTTPError as exc:
            why = {401: " (a private or gated model? set HF_TOKEN)", 404: " (no such model or revision)"}
            return LookupFailed(f"{endpoint} answered HTTP {exc.code} for {repo}@{ref}{why.get(exc.code, '')}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return LookupFailed(f"cannot ask {endpoint} for {repo}@{ref}: {getattr(exc, 'reason', exc)}")
        if len(body) > MAX_HUB_ANSWER:
            return LookupFailed(f"{endpoint}'s answer for {repo}@{ref} is larger than 64 MiB")
        try:
            sha = json.loads(body).get("sha")
        except (ValueError, AttributeError):
            sha = None
        if not isinstance(sha, str) or not _COMMIT.match(sha):
            return LookupFailed(f'{endpoint}\'s answer for {repo}@{ref} names no commit ("sha")')
        return sha

    found = ctx.cached(("hub", endpoint, repo, ref), run)
    if isinstance(found, LookupFailed):
        raise found
    return str(found)
