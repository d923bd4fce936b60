"""The one thing pyproject.toml cannot say: ship the top-level ``resources/`` folder as the package ``dubline_resources``.

Its sub-folders are data only (no code); they are listed as packages so that setuptools ships
every file in them.  Package data is all here: a [tool.setuptools.package-data] table in
pyproject.toml would replace this one.  Metadata, dependencies and entry points are in pyproject.toml.
"""

from setuptools import find_namespace_packages, find_packages, setup

DATA = [f"dubline_resources.{p}" for p in find_namespace_packages(where="resources", exclude=["*__pycache__*"])]

setup(
    packages=[*find_packages(include=["engine", "engine.*", "project", "project.*", "editor", "editor.*", "cli", "cli.*"]), "dubline_resources", *DATA],
    package_dir={"dubline_resources": "resources"},
    package_data={"engine.embedded.native": ["*.c"], **{name: ["*"] for name in DATA}},
    exclude_package_data={"": ["*.pyc"]},
)
