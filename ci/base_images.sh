#!/usr/bin/env bash
# Build the base images the engine fixtures use. No image can be pulled on this machine, so they are made
# with debootstrap from the Debian mirror apt uses, imported, and cached by tag: a run that finds the tag
# skips the work.
set -euo pipefail
DOCKER=${DOCKER:-$(command -v /usr/bin/docker || command -v docker)}

mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
    local m=""
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
        m=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources | head -n 1)
    fi
    if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
        m=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
    fi
    if [ -z "$m" ]; then
        echo "ci/base_images.sh: no Debian mirror in /etc/apt/sources.list(.d); set DEBIAN_MIRROR" >&2
        exit 1
    fi
    echo "$m"
}

build() {
    local tag=$1 include=$2 dir
    if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
        echo "base image $tag: cached"
        return
    fi
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' RETURN
    local source
    source=$(mirror)
    echo "base image $tag: debootstrap bookworm from $source"
    debootstrap --variant=minbase --include="$include" bookworm "$dir" "$source" >/dev/null
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" -c . | "$DOCKER" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' - "$tag" >/dev/null
    echo "base image $tag: built"
}

build reprocheck-fixture/python:3.11-bookworm python3,python3-venv
