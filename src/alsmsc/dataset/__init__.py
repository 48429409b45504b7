"""The dataset layer: the versioned data package in ``data/`` (load, schema and rule checks, checksums, releases).

Imports nothing above it: it knows the data, not the analyses, the book or the build.
"""

from alsmsc.dataset.package import (
    file_sha256,
    load,
    not_a_regular_file,
    package_hash,
    read_descriptor,
    rehash,
    resource_closure,
    resources,
    validate,
    version,
    write_descriptor,
)
from alsmsc.dataset.problems import DataError, Problem

__all__ = [
    "DataError",
    "Problem",
    "file_sha256",
    "load",
    "not_a_regular_file",
    "package_hash",
    "read_descriptor",
    "rehash",
    "resource_closure",
    "resources",
    "validate",
    "version",
    "write_descriptor",
]
