"""``--offline``: the digest a tag has on the local engine (its RepoDigests), never the network."""

from __future__ import annotations

from reprocheck.errors import EngineUnavailable, LookupFailed


def local_digest(name: str, tag: str) -> str:
    from reprocheck.runtime.for_fix import local_digests

    try:
        digests = local_digests(f"{name}:{tag}")
    except EngineUnavailable as exc:
        raise LookupFailed(f"--offline needs the local engine: {exc.message}") from None
    if digests is None:
        raise LookupFailed(f"`{name}:{tag}` is not on the local engine (pull it, or drop --offline)")
    wanted = {name, f"docker.io/{name}", f"docker.io/library/{name}", f"library/{name}"}
    for entry in digests:
        repo, _, digest = entry.partition("@")
        if repo in wanted and digest:
            return digest
    raise LookupFailed(f"`{name}:{tag}` on the local engine has no registry digest (built locally, never pushed)")
