"""Package list for setuptools; everything else is in pyproject.toml.

Why a setup.py: the demo and ``receptor-cds load-fixtures`` need the FHIR fixtures, which live in the
repository's top-level ``fixtures/`` folder (the tests and the case table read them there). A mapped package
ships three of its folders inside the wheel as ``app/fixtures``, so a non-editable install (``pip install .``
or the wheel) has them; ``app.fixtures_loader`` looks there first and falls back to the checkout.
``fixtures/large`` and ``fixtures/hooks`` are test and benchmark data and stay out of the wheel.
"""
from setuptools import find_packages, setup

SHIPPED_FIXTURES = ("cases", "real", "synthea")

setup(
    packages=find_packages(include=["app*", "cds_hooks*"])
    + ["app.fixtures"] + [f"app.fixtures.{folder}" for folder in SHIPPED_FIXTURES],
    package_dir={"app.fixtures": "fixtures"},
)
