"""ML50x and ML601: model artifacts the image copies, as read without loading them (``lint/ml_artifacts``):
written by another library version than the image installs, stored on CUDA and loaded without
``map_location``, unsafe or unreadable, or a Git LFS pointer instead of the file."""

from __future__ import annotations

from collections.abc import Iterator

from reprocheck.model.finding import Finding, Severity
from reprocheck.model.ml import Artifact, MlPackage, MlProject
from reprocheck.rules._api import RuleContext, rule
from reprocheck.rules._ml import image_versions, major_minor, version_tuple

_LIBRARY = {"sklearn": "scikit-learn", "xgboost": "xgboost", "lightgbm": "lightgbm", "keras": "keras"}


def _installed(ml: MlProject, a: Artifact) -> MlPackage | None:
    versions = image_versions(ml)
    lib = _LIBRARY.get(a.kind)
    if lib is None:
        return None
    p = versions.get(lib)
    if p is None and a.kind == "keras":
        tf = versions.get("tensorflow") or versions.get("tensorflow-cpu")
        if tf is not None and tf.version:
            # TensorFlow 2.16 and later use Keras 3; earlier ones bundle Keras 2 (tf.keras)
            three = version_tuple(tf.version) >= (2, 16)
            return MlPackage("keras", "3" if three else "2", tf.path, tf.line, tf.stage, tf.install_line)
    return p if p is not None and p.version else None


def _mismatch(a: Artifact, have: str) -> bool:
    if a.kind == "sklearn":
        return major_minor(a.version) != major_minor(have)
    if a.kind == "xgboost":  # newer XGBoost reads older JSON/UBJ models; not the other way round
        return major_minor(a.version) > major_minor(have)
    if a.kind == "keras":
        return version_tuple(a.version)[:1] != version_tuple(have)[:1]
    if a.kind == "lightgbm":  # the text format's version=vN: v4 is written by LightGBM 4
        return a.version.startswith("v") and version_tuple(a.version[1:])[:1] > version_tuple(have)[:1]
    return False


@rule(
    "ML501",
    "artifact-library-version-mismatch",
    Severity.ERROR,
    "A model artifact was written by another version of its library than the image installs",
    on=MlProject,
)
def artifact_library_version_mismatch(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    for a in ml.artifacts:
        if not a.version:
            continue
        p = _installed(ml, a)
        if p is None or not _mismatch(a, p.version):
            continue
        lib = _LIBRARY[a.kind]
        written = f"format {a.version}" if a.kind == "lightgbm" else f"{lib} {a.version}"
        yield ctx.finding(
            a.copy_line,
            f"{a.path} was written by {written}; the image installs {lib} {p.version} ({p.path}:{p.line}): loading "
            "across versions fails or, worse, gives other predictions (scikit-learn: InconsistentVersionWarning)",
            hint=f"pin {lib}=={a.version} (the version in the artifact), or re-export the model with {p.version}; "
            "prefer version-stable formats (skops, XGBoost JSON via save_model, ONNX)",
        )


@rule(
    "ML502",
    "cuda-checkpoint-without-map-location",
    Severity.ERROR,
    "A checkpoint whose tensors are stored on CUDA is loaded with torch.load without map_location",
    on=MlProject,
)
def cuda_checkpoint_without_map_location(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    cuda = {a.path.rsplit("/", 1)[-1]: a for a in ml.artifacts if a.kind == "torch" and a.detail}
    if not cuda:
        return
    for call in ml.calls:
        if call.call != "torch.load" or "map_location" in call.text or call.text.count(",") >= 1:
            continue
        a = cuda.get(call.target.rsplit("/", 1)[-1])
        if a is None:
            continue
        yield ctx.finding(
            call.line,
            f"{a.path} stores its tensors on {a.detail}, and `{call.text}` loads it without map_location: on any "
            'machine without a GPU (CPU nodes, the smoke sandbox) it raises "Attempting to deserialize object on a '
            'CUDA device but torch.cuda.is_available() is False"',
            hint='torch.load(path, map_location="cpu") then model.to(device); or re-save the checkpoint from CPU',
            path=call.path,
        )


@rule(
    "ML503",
    "model-artifact-unsafe-or-unreadable",
    Severity.WARNING,
    "A model artifact the image copies runs code when unpickled, or cannot be read safely",
    on=MlProject,
)
def model_artifact_unsafe_or_unreadable(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    for a in ml.artifacts:
        if a.kind == "unsafe-pickle":
            yield ctx.finding(
                a.copy_line,
                f"{a.path} is a pickle that calls {a.detail} when loaded: loading it runs that command "
                "(reprocheck read its opcodes only)",
                hint="do not ship it; re-export the model from trusted code in a format that holds no code "
                "(safetensors, ONNX, skops)",
            )
        elif a.kind == "unreadable":
            yield ctx.finding(
                a.copy_line,
                f"{a.path}: {a.detail}",
                hint="check the file: the ML artifact checks could not judge it",
            )


@rule(
    "ML601",
    "git-lfs-pointer-copied",
    Severity.ERROR,
    "The Dockerfile copies a Git LFS pointer file where a model or data file should be",
    on=MlProject,
)
def git_lfs_pointer_copied(ml: MlProject, ctx: RuleContext) -> Iterator[Finding]:
    for a in ml.artifacts:
        if a.kind == "lfs-pointer":
            yield ctx.finding(
                a.copy_line,
                f"{a.path} is a Git LFS pointer ({a.detail}), not the file: loading it fails (a pickle: "
                "\"_pickle.UnpicklingError: invalid load key, 'v'\")",
                hint="fetch the LFS objects before building (`git lfs pull`; CI checkout with `lfs: true`), or "
                "download the object by URL with its sha256 in the Dockerfile",
            )
