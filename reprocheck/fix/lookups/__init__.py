"""Look-ups: where pins come from (registries, credentials, git remotes and downloads, the local engine, an
image's package databases)."""
