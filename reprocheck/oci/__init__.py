"""Registries over the OCI distribution API: the digest a tag has now (``distribution``), with the
credentials the docker CLI would use (``credentials``). Standard library only, no engine: ``fix`` pins with
it in a pre-commit hook or CI job that has no Docker, and verify's RC816 asks it through the backend."""
