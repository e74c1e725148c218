"""hadolint's own test cases (test/Hadolint/Rule/DL*Spec.hs), ported as data: every Dockerfile hadolint flags
is flagged by the reprocheck rules that declare that DL id among their equivalents, and what hadolint accepts
is accepted, except where reprocheck is deliberately stricter (listed in STRICTER, with the reason)."""

from __future__ import annotations

import pytest

from reprocheck.rules import META
from tests.conftest import lint_text

# a variable defined in another stage than the RUN's
NEW_STAGE = "FROM fedora:fc42 AS build\nENV version=2.51.0-2.fc42\nFROM fedora:fc42\n"

# a builder stage left as root, and a final stage that is not
MULTI_STAGE_ROOT = "FROM debian as base\nUSER root\nRUN something\nFROM scratch\nUSER foo\nRUN something else\n"

# (hadolint rule, Dockerfile, hadolint flags it). Snippets without FROM get `FROM scratch` in front, as
# hadolint's test helper lints them without one.
CASES: list[tuple[str, str, bool]] = [
    # DL3002: last user should not be root
    ("DL3002", "FROM scratch\nUSER root\n", True),
    ("DL3002", "FROM scratch\nUSER foo\n", False),
    ("DL3002", "FROM scratch\nUSER 0\n", True),
    ("DL3002", "FROM scratch\nUSER root:root\n", True),
    ("DL3002", "FROM scratch\nUSER 0:0\n", True),
    ("DL3002", "FROM scratch\nUSER root\nRUN something\nUSER foo\n", False),
    ("DL3002", "FROM debian as base\nUSER root\nRUN something\nFROM base\nRUN something else\n", True),
    ("DL3002", "FROM debian as base\nUSER root\nRUN something\nUSER foo\nFROM scratch\nRUN something else\n", False),
    ("DL3002", MULTI_STAGE_ROOT, True),
    # DL3006: always tag the image
    ("DL3006", "FROM debian\n", True),
    ("DL3006", "FROM debian AS builder\n", True),
    ("DL3006", "FROM ruby@sha256:" + "f1dbca0f5dbc9" + "0" * 51 + "\n", False),
    ("DL3006", "FROM ${VALUE}\n", False),
    (
        "DL3006",
        "FROM golang:1.9.3-alpine3.7 AS build\nRUN foo\nFROM build as unit-test\nRUN bar\n",
        False,
    ),
    ("DL3006", "FROM golang:1.9.3-alpine3.7 AS build\nRUN foo\nFROM node as unit-test\nRUN bar\n", True),
    ("DL3006", "FROM scratch\n", False),
    # DL3007: latest
    ("DL3007", "FROM debian:latest\n", True),
    ("DL3007", "FROM debian:latest AS builder\n", True),
    (
        "DL3007",
        "FROM hub.docker.io/debian@sha256:" + "7959ed6f7e35f8b1aaa06d1d8259d4ee25aa85a086d5c125480c333183f9deeb\n",
        False,
    ),
    (
        "DL3007",
        "FROM hub.docker.io/debian:latest@sha256:7959ed6f7e35f8b1aaa06d1d8259d4ee25aa85a086d5c125480c333183f9deeb\n",
        False,
    ),
    # DL3008: apt-get install
    ("DL3008", "RUN apt-get update && apt-get install python\n", True),
    (
        "DL3008",
        "RUN apt-get update \\\n && apt-get -yqq --no-install-recommends install nodejs=0.10 \\\n"
        " && rm -rf /var/lib/apt/lists/*\n",
        False,
    ),
    ("DL3008", "RUN apt-get install -y python=1.2.2\n", False),
    ("DL3008", "RUN apt-get install ./wkhtmltox_0.12.5-1.bionic_amd64.deb\n", False),
    ("DL3008", "RUN apt-get -y --no-install-recommends install nodejs=0.10\n", False),
    (
        "DL3008",
        "RUN set -e &&\\\n apt-get update &&\\\n apt-get install -y --no-install-recommends -t jessie-backports "
        "openjdk-8-jdk=8u131-b11-1~bpo8+1 &&\\\n rm -rf /var/lib/apt/lists/*\n",
        False,
    ),
    # DL3013: pip
    ("DL3013", "RUN pip2 install MySQL_python\n", True),
    ("DL3013", "RUN pip3 install MySQL_python\n", True),
    ("DL3013", "RUN pip install MySQL_python\n", True),
    ("DL3013", "RUN python -m pip install example\n", True),
    ("DL3013", "RUN pip install git+https://github.com/rtfd/read-ext.git#egg=read-ext\n", True),
    ("DL3013", "RUN pip install git+ssh://github.com/rtfd/read-ext.git#egg=read-ext\n", True),
    ("DL3013", "RUN pipx install black\n", True),
    ("DL3013", "RUN pip install --root-user-action=ignore mypkg\n", True),
    ("DL3013", "RUN pip3 install MySQL_python==1.2.2\n", False),
    ("DL3013", "RUN pip3 install mypkg.whl\n", False),
    ("DL3013", "RUN pip3 install mypkg.tar.gz\n", False),
    ("DL3013", "RUN pip install -r requirements.txt\n", False),
    ("DL3013", "RUN pip install --requirement requirements.txt\n", False),
    ("DL3013", "RUN pip install .\n", False),
    ("DL3013", "RUN pip install MySQL_python===1.2.2\n", False),
    ("DL3013", "RUN pip install --ignore-installed MySQL_python==1.2.2\n", False),
    ("DL3013", "RUN pip3 install --prefix /opt/yamllint yamllint==1.20.0\n", False),
    ("DL3013", "RUN pip3 install --target /opt/yamllint yamllint==1.20.0\n", False),
    ("DL3013", "RUN python -m pip install example==1.2.2\n", False),
    ("DL3013", "RUN pip install foo/bar\n", False),
    ("DL3013", "RUN pip install MySQL_python==1.2.2 --user\n", False),
    ("DL3013", "RUN pip install --index-url https://eg.com/foo foobar==1.0.0\n", False),
    ("DL3013", "RUN pipenv install black\n", False),
    ("DL3013", 'RUN pipx install --python "$(which python)" "poetry==1.8.5"\n', False),
    ("DL3013", "RUN pip install --no-cache-dir --root-user-action ignore poetry==1.8.5\n", False),
    ("DL3013", "RUN pip install alabaster~=0.7\n", False),
    ("DL3013", "RUN pip install 'alabaster>=0.7'\n", False),
    ("DL3013", "RUN pip install pykafka --constraint http://foo.bar.baz\n", False),
    ("DL3013", "RUN pip install https://foo.bar/baz.zip\n", False),
    ("DL3013", "RUN pip install git+https://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext\n", False),
    # DL3016: npm
    ("DL3016", "RUN npm install express\n", True),
    ("DL3016", "RUN npm install @myorg/privatepackage\n", True),
    ("DL3016", "RUN npm install express sax@0.1.1\n", True),
    ("DL3016", "RUN npm install --global express\n", True),
    ("DL3016", "RUN npm install git+ssh://git@github.com:npm/npm.git\n", True),
    ("DL3016", "RUN npm install git+http://isaacs@github.com/npm/npm\n", True),
    ("DL3016", "RUN npm install git+https://isaacs@github.com/npm/npm.git\n", True),
    ("DL3016", "RUN npm install git://github.com/npm/npm.git\n", True),
    ("DL3016", "RUN npm install --registry https://example.com express\n", True),
    ("DL3016", "RUN npm install --registry=https://example.com express\n", True),
    ("DL3016", "RUN npm install\n", False),
    ("DL3016", "RUN npm install --progress=false\n", False),
    ("DL3016", "RUN npm install express@4.1.1\n", False),
    ("DL3016", 'RUN npm install express@"4.1.1" sax@0.1.1\n', False),
    ("DL3016", 'RUN npm install -g express@"4.1.1"\n', False),
    ("DL3016", "RUN npm install package-v1.2.3.tar\n", False),
    ("DL3016", "RUN npm install package-v1.2.3.tar.gz\n", False),
    ("DL3016", "RUN npm install package-v1.2.3.tgz\n", False),
    ("DL3016", "RUN npm install /folder\n", False),
    ("DL3016", "RUN npm install ./folder\n", False),
    ("DL3016", "RUN npm install ../folder\n", False),
    ("DL3016", "RUN npm install ~/folder\n", False),
    ("DL3016", "RUN npm run --crazy install\n", False),
    ("DL3016", "RUN npm install --loglevel verbose sax@0.1.1\n", False),
    ("DL3016", "RUN npm install --registry https://example.com sax@0.1.1\n", False),
    ("DL3016", 'RUN npm install @myorg/privatepackage@">=0.1.0"\n', False),
    ("DL3016", "RUN npm install git+ssh://git@github.com:npm/npm.git#v1.0.27\n", False),
    # DL3018: apk add
    ("DL3018", "RUN apk add flex\n", True),
    ("DL3018", "RUN apk add --no-cache \\\nflex=2.6.4-r1 \\\nlibffi \\\npython2=2.7.13-r1 \\\nlibbz2=1.0.6-r5\n", True),
    ("DL3018", "RUN apk add flex=2.6.4-r1\n", False),
    ("DL3018", "RUN apk add --no-cache flex=2.6.4-r1 \\\n && pip install -r requirements.txt\n", False),
    (
        "DL3018",
        "RUN apk add \\\n--virtual build-dependencies \\\npython-dev=1.1.1 build-base=2.2.2 wget=3.3.3 \\\n"
        "&& apk del build-dependencies\n",
        False,
    ),
    (
        "DL3018",
        "RUN apk add --no-cache \\\n--repository https://nl.alpinelinux.org/alpine/edge/testing \\\nflow=0.78.0-r0\n",
        False,
    ),
    (
        "DL3018",
        "RUN apk add --no-cache \\\n--repository=https://nl.alpinelinux.org/alpine/edge/testing \\\nflow=0.78.0-r0\n",
        False,
    ),
    (
        "DL3018",
        "RUN apk add --no-cache \\\n-X https://nl.alpinelinux.org/alpine/edge/testing \\\nflow=0.78.0-r0\n",
        False,
    ),
    ("DL3018", "RUN apk add mypackage-1.1.1.apk\n", False),
    ("DL3018", "RUN apk add --no-cache git~2.52.0\n", False),
    # DL3028: gem
    ("DL3028", "RUN gem i bundler\n", True),
    ("DL3028", "RUN gem i bunlder:1 nokogiri\n", True),
    ("DL3028", "RUN gem install bundler\n", True),
    ("DL3028", "RUN gem i bundler:1\n", False),
    ("DL3028", "RUN gem i bunlder:1 nokogirii:1\n", False),
    ("DL3028", "RUN gem install bundler:1\n", False),
    ("DL3028", "RUN gem install bundler -v '2.0.1'\n", False),
    ("DL3028", "RUN gem install bundler --version '2.0.1'\n", False),
    ("DL3028", "RUN gem install bundler --version='2.0.1'\n", False),
    ("DL3028", "RUN gem install bundler:2.0.1 -- --use-system-libraries=true\n", False),
    # DL3033: yum
    ("DL3033", "RUN yum install -y tomcat && yum clean all\n", True),
    ("DL3033", "RUN yum module install -y tomcat && yum clean all\n", True),
    (
        "DL3033",
        NEW_STAGE + "RUN yum -y install git-core-${version}\n",
        True,
    ),
    ("DL3033", "RUN yum install -y tomcat-9.2 && yum clean all\n", False),
    ("DL3033", "RUN yum install -y openssl-1:1.1.1k\n", False),
    ("DL3033", "RUN yum install -y rpm-sign-4.16.1.3\n", False),
    ("DL3033", "RUN yum install -y gcc-c++-1.1.1\n", False),
    ("DL3033", "RUN yum module install -y tomcat:9 && yum clean all\n", False),
    ("DL3033", "ENV version=2.51.0-2.fc42\nRUN yum -y install git-core-${version}\n", False),
    ("DL3033", "ARG version=2.51.0-2.fc42\nRUN yum -y install git-core-$version\n", False),
    (
        "DL3033",
        "FROM fedora:fc42 AS build\nENV version=2.51.0-2.fc42\nFROM build\nRUN yum -y install git-core-${version}\n",
        False,
    ),
    # DL3037: zypper
    ("DL3037", "RUN zypper install -y tomcat && zypper clean\n", True),
    ("DL3037", "RUN zypper install -y tomcat=9.0.39 && zypper clean\n", False),
    ("DL3037", "RUN zypper install -y tomcat-9.0.39-1.rpm && zypper clean\n", False),
    ("DL3037", "RUN zypper install -y tomcat\\>=9.0 && zypper clean\n", False),
    # DL3041: dnf and microdnf
    ("DL3041", "RUN dnf install -y tomcat && dnf clean all\n", True),
    ("DL3041", "RUN microdnf install -y tomcat && microdnf clean all\n", True),
    ("DL3041", "RUN dnf install -y rpm-sign && dnf clean all\n", True),
    ("DL3041", "RUN microdnf install -y rpm-sign && microdnf clean all\n", True),
    ("DL3041", "RUN dnf module install -y tomcat && dnf clean all\n", True),
    ("DL3041", "RUN microdnf module install -y tomcat && microdnf clean all\n", True),
    (
        "DL3041",
        NEW_STAGE + "RUN dnf -y install git-core-${version}\n",
        True,
    ),
    ("DL3041", "RUN dnf install -y tomcat-9.0.1 && dnf clean all\n", False),
    ("DL3041", "RUN microdnf install -y tomcat-9.0.1 && microdnf clean all\n", False),
    ("DL3041", "RUN notdnf install tomcat\n", False),
    ("DL3041", "RUN dnf install -y rpm-sign-4.16.1.3 && dnf clean all\n", False),
    ("DL3041", "RUN dnf install -y gcc-c++-1.1.1\n", False),
    ("DL3041", "RUN dnf install -y openssl-1:1.1.1k\n", False),
    ("DL3041", "RUN dnf module install -y tomcat:9 && dnf clean all\n", False),
    ("DL3041", 'RUN dnf -y group install "Development Tools"\n', False),
    ("DL3041", 'RUN dnf group install -y "Development Tools" && dnf clean all\n', False),
    ("DL3041", "ARG version=2.51.0-2.fc42\nRUN dnf -y install git-core-$version\n", False),
    # DL3062: go
    ("DL3062", "RUN go install example.com/pkg\n", True),
    ("DL3062", "RUN go install example.com/pkg@latest\n", True),
    ("DL3062", "RUN go get example.com/pkg\n", True),
    ("DL3062", "RUN go get example.com/pkg@latest\n", True),
    ("DL3062", "RUN go get -tool foobar\n", True),
    ("DL3062", "RUN go get -tool foobar@latest\n", True),
    ("DL3062", "RUN go run example.com/pkg\n", True),
    ("DL3062", "RUN go run example.com/pkg@latest\n", True),
    ("DL3062", "RUN go install example.com/pkg@v1.2.3\n", False),
    ("DL3062", "RUN go install /go/app/foobar\n", False),
    ("DL3062", "RUN go install ./app/foobar\n", False),
    ("DL3062", "RUN go install .\n", False),
    ("DL3062", "RUN go get example.com/pkg@v1.2.3\n", False),
    ("DL3062", "RUN go get -tool foobar@v1.2.3\n", False),
    ("DL3062", "RUN go run example.com/pkg@v1.2.3\n", False),
    ("DL3062", "RUN go run example.com/pkg@v1.2.3 -f\n", False),
    ("DL3062", "RUN go run example.com/pkg@v1.2.3 --foobar\n", False),
    ("DL3062", "RUN go run example.com/pkg@v1.2.3 foobar\n", False),
    ("DL3062", "RUN go run example.com/pkg@v1.2.3 --foo bar\n", False),
    ("DL3062", "RUN go run /go/app/foobar\n", False),
    ("DL3062", "RUN go run ./app/foobar\n", False),
    ("DL3062", "RUN go run .\n", False),
    # DL4006: pipefail
    ("DL4006", "FROM scratch\nRUN wget -O - https://some.site | wc -l > /number\n", True),
    ("DL4006", "FROM scratch as build\nRUN wget -O - https://some.site && wc -l file > /number\n", False),
    (
        "DL4006",
        'FROM scratch as build\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\n'
        "RUN wget -O - https://some.site | wc -l file > /number\n",
        False,
    ),
    (
        "DL4006",
        'FROM scratch as build\nSHELL ["/bin/bash", "-e", "-o", "pipefail", "-c"]\n'
        "RUN wget -O - https://some.site | wc -l file > /number\n",
        False,
    ),
    (
        "DL4006",
        'FROM scratch as build\nSHELL ["/bin/bash", "-o", "errexit", "-o", "pipefail", "-c"]\n'
        "RUN wget -O - https://some.site | wc -l file > /number\n",
        False,
    ),
    (
        "DL4006",
        'FROM scratch as build\nSHELL ["/bin/zsh", "-o", "pipefail", "-c"]\n'
        "RUN wget -O - https://some.site | wc -l file > /number\n",
        False,
    ),
    (
        "DL4006",
        'FROM scratch as build\nSHELL ["/usr/bin/bash", "-o", "pipefail", "-c"]\n'
        "RUN wget -O - https://some.site | wc -l file > /number\n",
        False,
    ),
    (
        "DL4006",
        'FROM scratch as build\nSHELL ["/usr/local/bin/zsh", "-o", "pipefail", "-c"]\n'
        "RUN wget -O - https://some.site | wc -l file > /number\n",
        False,
    ),
    (
        "DL4006",
        'FROM scratch as build\nSHELL ["pwsh", "-c"]\n'
        "RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value\n",
        False,
    ),
    (
        "DL4006",
        'FROM scratch as build\nSHELL ["/bin/sh", "-o", "pipefail", "-c"]\n'
        "RUN wget -O - https://some.site | wc -l file > /number\n",
        True,
    ),
    (
        "DL4006",
        'FROM scratch as build\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        "RUN wget -O - https://some.site | wc -l file > /number\nFROM scratch as build2\n"
        "RUN wget -O - https://some.site | wc -l file > /number\n",
        True,
    ),
    (
        "DL4006",
        'FROM scratch as build\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        "RUN wget -O - https://some.site | wc -l file > /number\n"
        'SHELL ["/bin/sh", "-c"]\nRUN wget -O - https://some.site | wc -l file > /number\n',
        True,
    ),
    (
        "DL4006",
        'FROM mcr.microsoft.com/powershell:ubuntu-16.04\nSHELL [ "cmd.exe", "/c" ]\n'
        "RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value\n",
        False,
    ),
]

# Where reprocheck flags what hadolint accepts, on purpose: (hadolint rule, Dockerfile) -> why.
STRICTER: dict[tuple[str, str], str] = {
    ("DL3013", "RUN pip install alabaster~=0.7\n"): "`~=0.7` is a range: any 0.x release from 0.7",
    ("DL3013", "RUN pip install 'alabaster>=0.7'\n"): "a lower bound takes the newest release",
    ("DL3013", "RUN pip install git+https://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext\n"): (
        "a tag can be moved; only a commit id names one tree (RC302)"
    ),
    ("DL3016", 'RUN npm install @myorg/privatepackage@">=0.1.0"\n'): "a range takes the newest release",
    ("DL3016", "RUN npm install git+ssh://git@github.com:npm/npm.git#v1.0.27\n"): "a tag, not a commit",
    ("DL3018", "RUN apk add --no-cache git~2.52.0\n"): "`~2.52.0` matches every 2.52.0 package revision (-r0, -r1)",
    ("DL3037", "RUN zypper install -y tomcat\\>=9.0 && zypper clean\n"): "a range takes the newest release",
    ("DL3033", "RUN yum module install -y tomcat:9 && yum clean all\n"): "a module stream is a moving set of packages",
    ("DL3041", "RUN dnf module install -y tomcat:9 && dnf clean all\n"): "a module stream is a moving set of packages",
    ("DL3041", 'RUN dnf -y group install "Development Tools"\n'): "a group installs whatever it holds today",
    ("DL3041", 'RUN dnf group install -y "Development Tools" && dnf clean all\n'): (
        "a group installs whatever it holds today"
    ),
}
# Where hadolint flags what reprocheck does not judge, on purpose.
LAXER: dict[tuple[str, str], str] = {
    ("DL3002", MULTI_STAGE_ROOT): "a builder stage's USER does not reach the final image, which runs as foo",
    (
        "DL3033",
        NEW_STAGE + "RUN yum -y install git-core-${version}\n",
    ): "a variable the Dockerfile does not define may come from the base image's ENV: not judged",
    (
        "DL3041",
        NEW_STAGE + "RUN dnf -y install git-core-${version}\n",
    ): "a variable the Dockerfile does not define may come from the base image's ENV: not judged",
}


def _equivalent_rules(dl: str) -> list[str]:
    return sorted(rid for rid, meta in META.items() if dl in meta.equivalents.get("hadolint", ()))


def _dockerfile(text: str) -> str:
    return text if text.lstrip().upper().startswith(("FROM", "ARG", "#")) else "FROM scratch\n" + text


@pytest.mark.parametrize(
    ("dl", "text", "flagged"),
    [pytest.param(dl, text, flagged, id=f"{dl}-{k}") for k, (dl, text, flagged) in enumerate(CASES)],
)
def test_hadolint_case(dl: str, text: str, flagged: bool):
    rules = _equivalent_rules(dl)
    assert rules, f"no reprocheck rule declares {dl}"
    found = [f for f in lint_text(_dockerfile(text), rules) if f.rule != "RC900"]
    expected = (flagged or (dl, text) in STRICTER) and (dl, text) not in LAXER
    if expected:
        assert found, f"{dl} case not caught by {rules}:\n{text}"
        assert all(f.location.line >= 1 for f in found)
    else:
        assert not found, f"{dl} case flagged by {[f.rule for f in found]}: {[f.message for f in found]}"


def test_exceptions_are_few_and_name_real_cases():
    keys = {(dl, text) for dl, text, _ in CASES}
    assert set(STRICTER) <= keys and set(LAXER) <= keys
    assert len(LAXER) <= len(CASES) // 50  # the exceptions stay exceptions


def test_every_ported_rule_is_covered():
    ported = {dl for dl, _, _ in CASES}
    wanted = {"DL3002", "DL3006", "DL3007", "DL3008", "DL3013", "DL3016", "DL3018", "DL3028", "DL3033", "DL3037"}
    wanted |= {"DL3041", "DL3062", "DL4006"}
    assert wanted <= ported
    for dl in wanted:
        assert any(f for d, _, f in CASES if d == dl and f), f"{dl}: no case hadolint flags"
